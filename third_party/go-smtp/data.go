package smtp

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

type EnhancedCode [3]int

// SMTPError specifies the error code, enhanced error code (if any) and
// message returned by the server.
type SMTPError struct {
	Code         int
	EnhancedCode EnhancedCode
	Message      string
}

// NoEnhancedCode is used to indicate that enhanced error code should not be
// included in response.
//
// Note that RFC 2034 requires an enhanced code to be included in all 2xx, 4xx
// and 5xx responses. This constant is exported for use by extensions, you
// should probably use EnhancedCodeNotSet instead.
var NoEnhancedCode = EnhancedCode{-1, -1, -1}

// EnhancedCodeNotSet is a nil value of EnhancedCode field in SMTPError, used
// to indicate that backend failed to provide enhanced status code. X.0.0 will
// be used (X is derived from error code).
var EnhancedCodeNotSet = EnhancedCode{0, 0, 0}

func (err *SMTPError) Error() string {
	s := fmt.Sprintf("SMTP error %03d", err.Code)
	if err.Message != "" {
		s += ": " + err.Message
	}
	return s
}

func (err *SMTPError) Temporary() bool {
	return err.Code/100 == 4
}

var ErrDataTooLarge = &SMTPError{
	Code:         552,
	EnhancedCode: EnhancedCode{5, 3, 4},
	Message:      "Maximum message size exceeded",
}

type dataReader struct {
	r     *bufio.Reader
	state int

	limited bool
	n       int64 // Maximum bytes remaining
}

func newDataReader(c *Conn) *dataReader {
	dr := &dataReader{
		r: c.text.R,
	}

	if c.server.MaxMessageBytes > 0 {
		dr.limited = true
		dr.n = int64(c.server.MaxMessageBytes)
	}

	return dr
}

// crlfDot is where the DATA reader's fast path stops (sendguard patch).
var crlfDot = []byte("\r\n.")

func (r *dataReader) Read(b []byte) (n int, err error) {
	if r.limited {
		if r.n <= 0 {
			return 0, ErrDataTooLarge
		}
		if int64(len(b)) > r.n {
			b = b[0:r.n]
		}
	}

	// Code below is taken from net/textproto with only one modification to
	// not rewrite CRLF -> LF.

	// Run data through a simple state machine to
	// elide leading dots and detect End-of-Data (<CR><LF>.<CR><LF>) line.
	const (
		stateBeginLine = iota // beginning of line; initial state; must be zero
		stateDot              // read . at beginning of line
		stateDotCR            // read .\r at beginning of line
		stateCR               // read \r (possibly at end of line)
		stateData             // reading data in middle of line
		stateEOF              // reached .\r\n end marker line
	)

	// sendguard patch: the state machine looks at what is buffered (Peek)
	// instead of calling ReadByte for every byte, copies each run of bytes
	// in the middle of a line (stateData: only a CR changes the state) with
	// one copy, and consumes (Discard) exactly the bytes the byte-by-byte
	// loop would have read: never more than b can take, never past the
	// end-of-data line. Results, also per call, are those of the loop.
	for n < len(b) && r.state != stateEOF {
		// Wait for at least one byte, as ReadByte does.
		if _, err = r.r.Peek(1); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			break
		}
		buf, _ := r.r.Peek(r.r.Buffered())
		i := 0
		for i < len(buf) && n < len(b) && r.state != stateEOF {
			if r.state == stateData {
				// In the middle of a line every byte is kept as it is up
				// to the next CR LF "." (a dot at a line start, which the
				// state machine below handles): copy up to it at once and
				// take the state the byte loop would have after the copy.
				run := buf[i:]
				if len(run) > len(b)-n {
					run = run[:len(b)-n]
				}
				if j := bytes.Index(run, crlfDot); j >= 0 {
					run = run[:j+2]
				}
				switch k := len(run); {
				case k >= 2 && run[k-2] == '\r' && run[k-1] == '\n':
					r.state = stateBeginLine
				case k >= 1 && run[k-1] == '\r':
					r.state = stateCR
				}
				copy(b[n:], run)
				n += len(run)
				i += len(run)
				continue
			}
			c := buf[i]
			i++
			switch r.state {
			case stateBeginLine:
				if c == '.' {
					r.state = stateDot
					continue
				}
				if c == '\r' {
					r.state = stateCR
					break
				}
				r.state = stateData
			case stateDot:
				if c == '\r' {
					r.state = stateDotCR
					continue
				}
				r.state = stateData
			case stateDotCR:
				if c == '\n' {
					r.state = stateEOF
					continue
				}
				// sendguard patch: "CR LF . CR x" is a stuffed dot followed
				// by a bare CR. Drop the dot, keep the CR and read x again
				// after it (as net/textproto's dotReader does). Upstream
				// v0.25.1 dropped the dot and the CR, so the bare CR never
				// reached the caller and the message was altered unseen.
				i--
				c = '\r'
				r.state = stateCR
			case stateCR:
				if c == '\n' {
					r.state = stateBeginLine
					break
				}
				// sendguard patch: a CR after a CR may still start the line
				// ending. Upstream v0.25.1 went to stateData here, so after
				// "CR CR LF" the next "CRLF . CRLF" was not seen as the end of
				// data and the session hung until the read timeout.
				if c == '\r' {
					break
				}
				r.state = stateData
			}
			b[n] = c
			n++
		}
		r.r.Discard(i)
	}
	if err == nil && r.state == stateEOF {
		err = io.EOF
	}

	if r.limited {
		r.n -= int64(n)
	}
	return
}
