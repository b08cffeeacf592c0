package notify_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name (go test -update rewrites it).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// leaf is one non-multipart part of a parsed mail.
type leaf struct {
	contentType string
	params      map[string]string
	header      message.Header
	body        string // transfer-decoded and charset-decoded
}

// parsed is a mail read back with go-message.
type parsed struct {
	header      message.Header
	contentType string
	params      map[string]string
	// tree lists each entity's media type, depth-first, indented by depth.
	tree   []string
	leaves []leaf
}

func parseMail(t *testing.T, raw []byte) *parsed {
	t.Helper()
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatal("mail has a bare LF")
	}
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Fatalf("line %d is %d bytes long", i+1, len(line))
		}
	}
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("go-message cannot read the mail: %v", err)
	}
	p := &parsed{header: e.Header}
	p.contentType, p.params, _ = e.Header.ContentType()
	var walk func(e *message.Entity, depth int)
	walk = func(e *message.Entity, depth int) {
		mt, params, err := e.Header.ContentType()
		if err != nil {
			t.Fatalf("Content-Type: %v", err)
		}
		p.tree = append(p.tree, strings.Repeat("  ", depth)+mt)
		if mr := e.MultipartReader(); mr != nil {
			for {
				part, err := mr.NextPart()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil && !message.IsUnknownCharset(err) {
					t.Fatalf("NextPart: %v", err)
				}
				walk(part, depth+1)
			}
			return
		}
		b, err := io.ReadAll(e.Body)
		if err != nil {
			t.Fatalf("read %s: %v", mt, err)
		}
		p.leaves = append(p.leaves, leaf{contentType: mt, params: params, header: e.Header, body: string(b)})
	}
	walk(e, 0)
	return p
}

func (p *parsed) leaf(t *testing.T, mt string) leaf {
	t.Helper()
	for _, l := range p.leaves {
		if l.contentType == mt {
			return l
		}
	}
	t.Fatalf("no %s part; parts: %v", mt, p.tree)
	return leaf{}
}

// subject decodes the Subject field.
func (p *parsed) subject(t *testing.T) string {
	t.Helper()
	dec := mime.WordDecoder{CharsetReader: charset.Reader}
	s, err := dec.DecodeHeader(p.header.Get("Subject"))
	if err != nil {
		t.Fatalf("Subject: %v", err)
	}
	return s
}

// allText is every decoded part and the header, for "never contains"
// checks.
func (p *parsed) allText() string {
	var b strings.Builder
	fields := p.header.Fields()
	for fields.Next() {
		b.WriteString(fields.Key() + ": " + fields.Value() + "\n")
	}
	for _, l := range p.leaves {
		b.WriteString(l.body)
	}
	return b.String()
}

// fakeClock is a Clock the test moves by hand.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{c.now.Add(d), ch})
	return ch
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if !tm.at.After(c.now) {
			tm.ch <- c.now
		} else {
			kept = append(kept, tm)
		}
	}
	c.timers = kept
}

// logBuffer is a slog.Handler that keeps the records.
type logBuffer struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logBuffer) Enabled(context.Context, slog.Level) bool { return true }

func (l *logBuffer) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}

func (l *logBuffer) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logBuffer) WithGroup(string) slog.Handler      { return l }

// errors returns the messages logged at ERROR, with their attributes.
func (l *logBuffer) errors() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.records {
		if r.Level < slog.LevelError {
			continue
		}
		s := r.Message
		r.Attrs(func(a slog.Attr) bool {
			s += " " + a.Key + "=" + a.Value.String()
			return true
		})
		out = append(out, s)
	}
	return out
}
