package milter_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	gomilter "github.com/d--j/go-milter"

	"github.com/sendguard/sendguard/internal/logcapture"
	"github.com/sendguard/sendguard/milter"
	"github.com/sendguard/sendguard/policy"
)

// harness runs the milter on a real loopback socket; tests talk to it with
// go-milter's MTA side (its Client), as Postfix would.
type harness struct {
	t        testing.TB
	addr     string
	audit    *logcapture.Buffer
	spoolDir string
	srv      *milter.Server
	// foldLF: folded header values go with LF line breaks, as Postfix
	// sends them (CRLF otherwise).
	foldLF bool
	// version caps the milter protocol version the MTA offers (0: 6).
	version uint32
}

func start(t testing.TB, edit func(*milter.Config)) *harness {
	t.Helper()
	spoolDir := t.TempDir()
	pol, _, err := policy.Compile(policy.Config{
		Domains: policy.DomainsConfig{
			Internal: []string{"example.co.jp"},
			Verified: []string{"partner.example.com"},
		},
		Attachments: policy.AttachmentsConfig{SpoolDir: spoolDir, SpoolMemoryBytes: 4096},
	})
	if err != nil {
		t.Fatal(err)
	}
	audit := &logcapture.Buffer{}
	cfg := milter.Config{
		Hostname:         "sendguard.test",
		MaxMessageBytes:  1 << 20,
		SpoolDir:         spoolDir,
		SpoolMemoryBytes: 4096,
		IdleTimeout:      30 * time.Second,
		Policy:           func() *policy.Policy { return pol },
		Log:              slog.New(slog.NewTextHandler(io.Discard, nil)),
		Audit:            slog.New(slog.NewJSONHandler(audit, nil)),
	}
	if edit != nil {
		edit(&cfg)
	}
	l, err := milter.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := milter.New(cfg)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return &harness{t: t, addr: l.Addr().String(), audit: audit, spoolDir: spoolDir, srv: srv}
}

// result is what the MTA hears at the end of a message.
type result struct {
	act  *gomilter.Action
	mods []gomilter.ModifyAction
}

// send passes one message through a new milter session the way Postfix
// does: connect, helo, mail, rcpt, each header field with its value as it
// was after the colon, the body in chunks, end of message.
func (h *harness) send(from string, to []string, raw string) result {
	h.t.Helper()
	s := h.session()
	defer s.Close()
	return h.sendOn(s, from, to, raw)
}

func (h *harness) session() *gomilter.ClientSession {
	h.t.Helper()
	opts := []gomilter.Option{gomilter.WithReadTimeout(20 * time.Second)}
	if h.version != 0 && h.version < 6 {
		// What such an MTA offers: no protocol options, the version 2
		// actions.
		opts = append(opts, gomilter.WithMaximumVersion(h.version), gomilter.WithProtocols(0),
			gomilter.WithActions(gomilter.OptAddHeader|gomilter.OptChangeBody|gomilter.OptAddRcpt|
				gomilter.OptRemoveRcpt|gomilter.OptChangeHeader|gomilter.OptQuarantine))
	}
	c := gomilter.NewClient("tcp", h.addr, opts...)
	macros := gomilter.NewMacroBag()
	macros.Set(gomilter.MacroQueueId, "4XyZ1")
	s, err := c.Session(macros)
	if err != nil {
		h.t.Fatalf("milter session: %v", err)
	}
	h.ok(s.Conn("mta.example.co.jp", gomilter.FamilyInet, 25, "192.0.2.10"))
	h.ok(s.Helo("client.example.co.jp"))
	return s
}

func (h *harness) sendOn(s *gomilter.ClientSession, from string, to []string, raw string) result {
	h.t.Helper()
	h.ok(s.Mail(from, ""))
	for _, r := range to {
		h.ok(s.Rcpt(r, ""))
	}
	h.ok(s.DataStart())
	head, body, _ := strings.Cut(raw, "\r\n\r\n")
	for _, f := range fields(head) {
		name, value, _ := strings.Cut(f, ":")
		if h.foldLF {
			value = strings.ReplaceAll(value, "\r\n", "\n")
		}
		if !s.ProtocolOption(gomilter.OptHeaderLeadingSpace) {
			// Without the option, MTAs swallow one space after the colon.
			value = strings.TrimPrefix(value, " ")
		}
		h.ok(s.HeaderField(name, value, nil))
	}
	h.ok(s.HeaderEnd())
	if body == "" {
		// go-milter's client ends a message only after a body chunk.
		h.ok(s.BodyChunk(nil))
	}
	mods, act, err := s.BodyReadFrom(strings.NewReader(body))
	if err != nil {
		h.t.Fatalf("body: %v", err)
	}
	if act.Type == gomilter.ActionContinue {
		mods, act, err = s.End()
		if err != nil {
			h.t.Fatalf("end: %v", err)
		}
	}
	return result{act: act, mods: mods}
}

// fields splits a header section into fields, continuation lines kept.
func fields(head string) []string {
	var out []string
	for _, line := range strings.Split(head, "\r\n") {
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && len(out) > 0 {
			out[len(out)-1] += "\r\n" + line
			continue
		}
		out = append(out, line)
	}
	return out
}

// ok fails the test unless the milter said "continue".
func (h *harness) ok(act *gomilter.Action, err error) {
	t := h.t
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if act.Type != gomilter.ActionContinue {
		t.Fatalf("milter answered %v before the end of the message", act)
	}
}

// auditLines are the audit lines written so far.
func (h *harness) auditLines() []map[string]any {
	h.t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(h.audit.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			h.t.Fatalf("audit line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// waitSpoolEmpty fails unless every temporary file is gone from the spool
// directory shortly.
func (h *harness) waitSpoolEmpty() {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		entries, err := os.ReadDir(h.spoolDir)
		if err != nil {
			h.t.Fatal(err)
		}
		if len(entries) == 0 {
			return
		}
		if time.Now().After(deadline) {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			h.t.Fatalf("temporary files left in the spool: %v", names)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitSpoolFiles waits until the spool directory holds n files.
func (h *harness) waitSpoolFiles(n int) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		entries, err := os.ReadDir(h.spoolDir)
		if err != nil {
			h.t.Fatal(err)
		}
		if len(entries) == n {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("spool holds %d files, want %d", len(entries), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
