// Package inspect walks a message's MIME tree and yields its text and its
// attachments, identified as a recipient's mailer would show them.
//
// Walk never fails on malformed input: whatever it cannot decode becomes a
// Problem, and the policy treats a message with problems as unscannable (it
// fails closed). Attachment bytes are kept decoded in spool.Buffers (memory
// up to Limits.MemThreshold, a temporary file beyond); Message.Close frees
// them and removes every temporary file.
package inspect

import (
	"errors"
	"io"

	"github.com/sendguard/sendguard/spool"
)

// Limits bounds the walk. A zero field takes its default.
type Limits struct {
	MaxDepth       int   // MIME nesting depth incl. message/rfc822 (default 20)
	MaxParts       int   // parts per message, incl. files found in TNEF and uuencode (default 1000)
	MaxPartBytes   int64 // decoded bytes per part (default 64 MiB)
	MaxTextBytes   int64 // total decoded text kept for rules (default 4 MiB)
	MaxHeaderBytes int   // per part header (default 64 KiB)
	SpoolDir       string
	MemThreshold   int64 // attachment bytes kept in memory before spilling to a temp file (default 1 MiB)
	// CountInlineImages makes images that the HTML body shows via cid:
	// attachments too; by default they are body parts (Message.InlineImages).
	CountInlineImages bool
}

// DefaultLimits returns the default limits.
func DefaultLimits() Limits {
	return Limits{
		MaxDepth:       20,
		MaxParts:       1000,
		MaxPartBytes:   64 << 20,
		MaxTextBytes:   4 << 20,
		MaxHeaderBytes: 64 << 10,
		MemThreshold:   spool.DefaultThreshold,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxParts <= 0 {
		l.MaxParts = d.MaxParts
	}
	if l.MaxPartBytes <= 0 {
		l.MaxPartBytes = d.MaxPartBytes
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = d.MaxTextBytes
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.MemThreshold <= 0 {
		l.MemThreshold = d.MemThreshold
	}
	return l
}

// Text is text a rule may look at.
type Text struct {
	Path    string // part path ("" for the top-level subject)
	Kind    string // "subject", "plain", "html", "filename"
	Content string // UTF-8; HTML reduced to its visible text
}

// Attachment is a part a recipient's mailer shows as a file, or a file found
// inside one (TNEF, uuencode, S/MIME signed data).
type Attachment struct {
	Path        string        // MIME part path, e.g. "2", "3.1" and for forwarded mail "2/1.2"; files found inside a part (TNEF, uuencode) have that part's path
	Name        string        // decoded file name ("" when none)
	ContentType string        // declared media type, lower case
	Disposition string        // "attachment", "inline" or "" as declared, lower case
	ContentID   string        // Content-ID without brackets, "" when none
	Size        int64         // decoded bytes
	SHA256      string        // hex of the decoded content
	Content     *spool.Buffer // decoded bytes; freed by Message.Close
	Forwarded   bool          // inside a message/rfc822 part
	// Origin says where the file came from: "" for a MIME part, "uuencode",
	// "tnef" (inside winmail.dat), "smime-signed" (inside opaque S/MIME
	// signed data), or "signature" for a detached signature part
	// (application/pkcs7-signature, application/pgp-signature), which needs
	// no encryption: the policy lists it.
	Origin string
}

// Problem is something the walk could not decode. Reason is English and never
// quotes body text.
type Problem struct {
	Path   string
	Reason string
}

// Message is the result of Walk.
type Message struct {
	Subject      string
	From, To, Cc []string // addr-spec only
	MessageID    string   // without angle brackets
	Texts        []Text
	Attachments  []*Attachment
	// InlineImages are images the HTML body shows via cid: (body parts, not
	// files to the recipient, unless Limits.CountInlineImages). Their bytes
	// are kept so content identification can check they are images.
	InlineImages []*Attachment
	// Problems lists anything the walk could not decode: the policy treats
	// the message as unscannable (fail closed).
	Problems []Problem
	// Encrypted is "smime" or "pgp" when the whole message is encrypted
	// (application/pkcs7-mime enveloped or authEnveloped data,
	// multipart/encrypted), else "".
	Encrypted string
	// TextTruncated is true when the text went past Limits.MaxTextBytes and
	// the rest was not kept in Texts.
	TextTruncated bool

	bufs []*spool.Buffer // every buffer made, also those no longer listed
}

// Close frees every attachment's content and removes every temporary file.
// It is safe to call more than once.
func (m *Message) Close() error {
	if m == nil {
		return nil
	}
	var errs []error
	for _, b := range m.bufs {
		if err := b.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	m.bufs = nil
	return errors.Join(errs...)
}

// srcReader remembers a read error of the message source: that is an I/O
// failure Walk returns, unlike malformed content.
type srcReader struct {
	r   io.Reader
	err error
	eof bool
}

func (s *srcReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.eof {
		return 0, io.EOF
	}
	n, err := s.r.Read(p)
	if err == io.EOF {
		s.eof = true
	} else if err != nil {
		s.err = err
	}
	return n, err
}
