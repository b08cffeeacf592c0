// Package e2e holds end-to-end tests: a real Postfix relays through the
// sendguard binary (built by the test) to a real SMTP sink, and bounces reach
// the sender's mailbox, another sink.
package e2e
