// Package mailtext gives tests the decoded text a recipient reads: the
// text/plain parts of a message, transfer encoding and charset undone.
package mailtext

import (
	"bytes"
	"io"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // Japanese and other charsets
)

// Plain returns the decoded text/plain parts of raw, joined.
func Plain(raw []byte) (string, error) {
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = e.Walk(func(_ []int, p *message.Entity, err error) error {
		if err != nil {
			return err
		}
		if mt, _, _ := p.Header.ContentType(); mt == "text/plain" {
			body, err := io.ReadAll(p.Body)
			if err != nil {
				return err
			}
			b.Write(body)
		}
		return nil
	})
	return b.String(), err
}
