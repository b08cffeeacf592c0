package smtpfilter

import "io"

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

func (g *lineGuard) scan(b []byte) {
	prevCR := g.prevCR
	for _, c := range b {
		if c == '\n' {
			if !prevCR {
				g.bare = true
				return
			}
		} else if prevCR {
			g.bare = true
			return
		}
		prevCR = c == '\r'
	}
	g.prevCR = prevCR
}
