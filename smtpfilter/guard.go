package smtpfilter

import (
	"bytes"
	"io"
)

// BareNewline is what the server does with a DATA line that ends in a bare
// LF (server.bare_newline).
type BareNewline int

const (
	// BareNewlineReject refuses a message with a bare CR or bare LF
	// (550 5.6.0): the default.
	BareNewlineReject BareNewline = iota
	// BareNewlineNormalize takes a line ending in a bare LF as ending in
	// CRLF (Postfix 3.9's smtpd_forbid_bare_newline = normalize): the
	// message is inspected and relayed with CRLF only. A bare CR is still
	// refused, and only CRLF . CRLF ends DATA (go-smtp's reader never
	// ends it on LF . LF or LF . CRLF), so smuggling stays impossible.
	BareNewlineNormalize
)

// String is the mode as server.bare_newline spells it.
func (b BareNewline) String() string {
	if b == BareNewlineNormalize {
		return "normalize"
	}
	return "reject"
}

// lineGuard reads the DATA stream and records every bare CR or bare LF: an
// SMTP smuggling attempt (CVE-2023-51764 family) or a broken client. Messages
// with either are refused, never relayed (rfc/5321 section 2.3.8). go-smtp
// passes both through; its DATA reader is patched (third_party/go-smtp) so
// that a last line ending in a bare CR still ends the data.
//
// With normalize set, a bare LF is not recorded but preceded by a CR in
// what Read returns; a bare CR is recorded as before.
type lineGuard struct {
	r         io.Reader
	normalize bool
	prevCR    bool
	bare      bool

	// carry holds what a Read of fewer than 2 bytes could not return yet
	// (normalize only), then carryErr.
	small    [2]byte
	carry    []byte
	carryErr error
}

func (g *lineGuard) Read(p []byte) (int, error) {
	if g.normalize {
		return g.readNormalized(p)
	}
	n, err := g.r.Read(p)
	if !g.bare {
		g.scan(p[:n])
	}
	if err == io.EOF && g.prevCR {
		g.bare = true // BDAT data ending in CR
	}
	return n, err
}

// scan records a bare CR or LF in b, which continues what came before.
// Every LF must follow a CR and every CR must precede an LF, so it looks only
// at the line breaks (bytes.IndexByte), not at every byte.
func (g *lineGuard) scan(b []byte) {
	if len(b) == 0 {
		return
	}
	if g.prevCR {
		if b[0] != '\n' {
			g.bare = true
			return
		}
		b = b[1:]
	}
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		// b[:i] is a line: a CR as its last byte, none before.
		if i == 0 || b[i-1] != '\r' || bytes.IndexByte(b[:i-1], '\r') >= 0 {
			g.bare = true
			return
		}
		b = b[i+1:]
	}
	// The rest has no LF: a CR may only be its last byte.
	i := bytes.IndexByte(b, '\r')
	if i >= 0 && i != len(b)-1 {
		g.bare = true
		return
	}
	g.prevCR = i >= 0
}

// readNormalized reads at most half of p from the stream, so that there is
// room to put a CR before each bare LF in place.
func (g *lineGuard) readNormalized(p []byte) (int, error) {
	if len(g.carry) > 0 {
		n := copy(p, g.carry)
		g.carry = g.carry[n:]
		if len(g.carry) > 0 {
			return n, nil
		}
		err := g.carryErr
		g.carryErr = nil
		return n, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if len(p) < 2 {
		n, err := g.readNormalized(g.small[:])
		k := copy(p, g.small[:n])
		if g.carry = g.small[k:n]; len(g.carry) > 0 {
			g.carryErr, err = err, nil
		}
		return k, err
	}
	n, err := g.r.Read(p[:len(p)/2])
	if n > 0 && !g.bare {
		startCR := g.prevCR
		if lf := g.scanNormalize(p[:n]); lf > 0 && !g.bare {
			n = insertCRs(p, n, lf, startCR)
		}
	}
	if err == io.EOF && g.prevCR {
		g.bare = true // BDAT data ending in CR
	}
	return n, err
}

// scanNormalize records a bare CR in b (which continues what came before)
// and counts the bare LFs.
func (g *lineGuard) scanNormalize(b []byte) (bareLF int) {
	prevCR := g.prevCR
	for len(b) > 0 {
		if prevCR {
			prevCR = false
			if b[0] != '\n' {
				g.bare = true
				return bareLF
			}
			b = b[1:]
			continue
		}
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			break
		}
		if b[i] == '\n' {
			bareLF++
		} else {
			prevCR = true
		}
		b = b[i+1:]
	}
	g.prevCR = prevCR
	return bareLF
}

// insertCRs puts a CR before each of the lf bare LFs in p[:n], from the end
// backwards, and returns the new length n+lf (len(p) >= 2n). startCR: the
// byte before p[0] was a CR.
func insertCRs(p []byte, n, lf int, startCR bool) int {
	w := n + lf
	for r := n - 1; r >= 0 && w > r; r-- {
		c := p[r]
		w--
		p[w] = c
		if c == '\n' && !(r > 0 && p[r-1] == '\r' || r == 0 && startCR) {
			w--
			p[w] = '\r'
		}
	}
	return n + lf
}
