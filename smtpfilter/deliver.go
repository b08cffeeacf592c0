package smtpfilter

import (
	"context"
	"errors"
	"io"

	"github.com/emersion/go-smtp"
)

// Delivery is what the upstream said to one message sent on a connection
// of its own (a released held message, a notice from the outbox).
type Delivery struct {
	// Reply is the upstream's answer to DATA (its queue id).
	Reply string
	// Refused are the recipients the upstream refused for good (5xx at
	// RCPT); the message went to the others. RefusedReason is the first
	// such reply.
	Refused       []string
	RefusedReason string
}

// allRefusedError: every recipient was refused for good.
type allRefusedError struct{ first error }

func (e *allRefusedError) Error() string { return "every recipient was refused: " + e.first.Error() }
func (e *allRefusedError) Unwrap() error { return e.first }

// Deliver sends one message through the upstream on a connection of its
// own. A recipient refused with 5xx is left out (and named in the
// Delivery); a 4xx for any recipient fails the whole attempt, so that it
// is retried for everyone. Permanent tells the caller which errors are
// final.
func Deliver(ctx context.Context, up Upstream, from string, to []string, msg io.Reader) (Delivery, error) {
	var d Delivery
	c, err := up.Connect(ctx)
	if err != nil {
		return d, err
	}
	defer c.Close()
	if err := c.Mail(from, nil); err != nil {
		return d, err
	}
	accepted := 0
	for _, rcpt := range to {
		err := c.Rcpt(rcpt, nil)
		if err == nil {
			accepted++
			continue
		}
		if Permanent(err) {
			if d.RefusedReason == "" {
				d.RefusedReason = err.Error()
			}
			d.Refused = append(d.Refused, rcpt)
			continue
		}
		return d, err
	}
	if accepted == 0 {
		return d, &allRefusedError{first: errors.New(d.RefusedReason)}
	}
	d.Reply, err = c.Data(msg)
	return d, err
}

// Permanent reports whether an upstream error is final: a 5xx reply, or
// every recipient refused with one.
func Permanent(err error) bool {
	var ar *allRefusedError
	if errors.As(err, &ar) {
		return true
	}
	var se *smtp.SMTPError
	return errors.As(err, &se) && se.Code/100 == 5
}
