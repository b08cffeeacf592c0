package smtpfilter

import (
	"bytes"
	"io"
)

// lineGuard reads the DATA stream and records every bare CR or bare LF: an
// SMTP smuggling attempt (CVE-2023-51764 family) or a broken client. Messages
// with either are refused, never relayed (rfc/5321 section 2.3.8). go-smtp
// passes both through; its DATA reader is patched (third_party/go-smtp) so
// that a last line ending in a bare CR still ends the data.
type lineGuard struct {
	r      io.Reader
	prevCR bool
	bare   bool
}

func (g *lineGuard) Read(p []byte) (int, error) {
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
