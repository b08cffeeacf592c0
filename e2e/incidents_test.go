package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/internal/smtpsink"
)

// TestIncidentNoticeSurvivesOutageAndRestart: the security contact's
// notice (第2: within 60 minutes) waits in the store's outbox while the
// upstream refuses it, survives a restart with its deadline, and goes out
// once the upstream takes it.
func TestIncidentNoticeSurvivesOutageAndRestart(t *testing.T) {
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	sec := "security@example.co.jp"
	sink.SetBehaviour(smtpsink.Behaviour{Rcpt: func(to string) *smtp.SMTPError {
		if to == sec {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "down for the notice"}
		}
		return nil
	}})
	g := newGateway(t, sink.Addr, "", "", "[incidents]\ncontacts = [\""+sec+"\"]\nfrom = \"postmaster@example.co.jp\"\n\n[hold]\nretry_interval = \"1s\"\n")
	g.launch(t, buildBinary(t))
	alice := "alice@example.co.jp"
	lookalike := "bob@examp1e.co.jp"
	detected := time.Now()
	if code := sendDirect(t, g.addr, alice, lookalike, mail(alice, lookalike, "見積", "本文", "", nil)); code != 550 {
		t.Fatalf("lookalike recipient: %d, want 550", code)
	}
	st := openStore(t, g)
	var deadline time.Time
	waitFor(t, func() bool {
		p, _ := st.PendingNotices(context.Background())
		if len(p) == 1 && p[0].Kind == "incident" && p[0].Attempts >= 1 {
			deadline = p[0].Deadline
			return true
		}
		return false
	})
	if d := deadline.Sub(detected); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("deadline %s after detection, want 60m", d)
	}
	if len(waitMessages(t, sink, 1, isTo(sec), 0)) != 0 {
		t.Fatal("the refused notice arrived")
	}

	stop(t, g)
	sink.SetBehaviour(smtpsink.Behaviour{})
	g.launch(t, buildBinary(t))
	got := waitMessages(t, sink, 1, isTo(sec), 20*time.Second)
	if len(got) != 1 {
		t.Fatal("the incident notice was lost across the restart")
	}
	if text := textOf(t, got[0].Data); !strings.Contains(text, "examp1e.co.jp") {
		t.Fatalf("notice:\n%s", text)
	}
	time.Sleep(2 * time.Second)
	if n := len(waitMessages(t, sink, 2, isTo(sec), 0)); n != 1 {
		t.Fatalf("the notice arrived %d times", n)
	}
}
