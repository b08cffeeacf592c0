// Package smtpfilter is sendguard's SMTP side: a go-smtp server that the
// organisation's MTA relays to (access control, limits, spooling, smuggling
// defence), the before-queue relay to the upstream MTA (or the embedded
// capture directory), reply formatting and the audit line. It asks the policy
// for a verdict and knows nothing about file formats.
//
// The contract with the client is RFC 5321's: a 250 reply to DATA means the
// upstream accepted the message; any failure on the way is a 4xx so that the
// client keeps the message queued and retries (rfc/5321 section 4.2.5).
package smtpfilter
