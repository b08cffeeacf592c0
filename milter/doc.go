// Package milter is sendguard's milter listener: it lets an MTA that calls
// content filters during its own SMTP session (Postfix smtpd_milters,
// Sendmail INPUT_MAIL_FILTER) ask sendguard's policy about each message, with
// the same verdicts and explanations as the smarthost listener (package
// smtpfilter).
//
// Contract with the MTA: the message arrives as the milter protocol's header
// fields and body chunks; it is spooled (memory, then a temporary file) and
// judged at the end of the message. A reject is the milter's reply code, the
// same multi-line "550 5.7.1 [rule-id] … (ref …)" text the smarthost gives, so
// the MTA refuses the message in its SMTP session and the sender's MTA or
// client sees it. A flag or a pass is accepted with the X-Sendguard-Verdict
// header added (any such header the client sent is deleted first). Our own
// trouble (a temporary file that cannot be written, an evaluation error) is a
// 451 with a reference: the client keeps the message and retries. Delivery
// is the MTA's: sendguard holds and relays nothing in this mode.
//
// The protocol is spoken by github.com/d--j/go-milter (milter protocol
// version 6, as Postfix and Sendmail speak it).
package milter
