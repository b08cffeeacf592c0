package main

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/sendguard/sendguard/store"
)

// What a sender controls (attachment names: inspect keeps every character
// but CR, LF and NUL; an approver's comment; an upstream's reply) reaches
// the operator's terminal through hold show and list: escape sequences
// there could rewrite the screen (hide a line, fake "state: cancelled",
// set the clipboard with OSC 52). The text output carries no control
// characters; --json escapes them.
func TestHoldShowWritesNoControlCharacters(t *testing.T) {
	cfg, st := holdStore(t, "")
	evil := "report\x1b[2K\x1b[1A\rstate:      cancelled\x1b]52;c;ZXZpbA==\x07\u202e.pdf"
	h := &store.Held{Ref: "eeee5", State: store.StateConfirm, Sender: "mallory@example.co.jp", Recipients: []string{"x@kokyaku-shoji.jp"},
		Rules: []string{"attachment-unencrypted"}, ExpireAt: time.Now().Add(time.Hour), HeldAt: time.Now().Add(time.Minute),
		Summary: store.Summary{Subject: "q", Attachments: []store.Attachment{{Name: evil, Format: "pdf", Size: 10}},
			Findings: []store.Finding{{Rule: "attachment-unencrypted", Action: "hold", Evidence: evil, Reason: "unencrypted", ReasonJA: "暗号化なし"}}}}
	if err := st.Hold(context.Background(), h, strings.NewReader("Subject: q\r\n\r\nx\r\n"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Decide(context.Background(), "eeee5", store.Cancel, []store.State{store.StateConfirm},
		store.Actor{Name: "boss@example.co.jp"}, "no\x1b[31m red\rfake line", time.Hour, nil); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"hold", "show", "eeee5"}, {"hold", "list", "--all"}} {
		code, out, errOut := runCmd(t, "", append(args, "--config", cfg)...)
		if code != 0 {
			t.Fatalf("%v: %d %s", args, code, errOut)
		}
		for _, r := range out {
			if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)) {
				t.Fatalf("%v writes %U to the terminal:\n%q", args, r, out)
			}
		}
	}
}

// A flood of held messages: hold list prints at most holdListMax of them
// and says so on stderr, instead of cutting the list silently.
func TestHoldListSaysWhenItIsCut(t *testing.T) {
	cfg, _ := holdStore(t, "")
	old := holdListMax
	holdListMax = 2
	defer func() { holdListMax = old }()
	for _, args := range [][]string{{"hold", "list"}, {"hold", "list", "--json"}} {
		code, out, errOut := runCmd(t, "", append(args, "--config", cfg)...)
		if code != 0 || strings.Contains(out, "cccc3") || !strings.Contains(out, "bbbb2") || !strings.Contains(errOut, "only the oldest 2 messages") {
			t.Errorf("%v: %d\n%s%s", args, code, out, errOut)
		}
	}
}
