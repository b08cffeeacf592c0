package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/internal/mailtext"
	"github.com/sendguard/sendguard/internal/smtpsink"
	"github.com/sendguard/sendguard/store"
)

// holdGateway runs the real binary with unverified recipients held for
// the sender's confirmation, the page on its own port, and the given
// [hold] keys.
func holdGateway(t *testing.T, sink *smtpsink.Sink, holdKeys string) *gateway {
	t.Helper()
	web := freeAddr(t)
	g := newGateway(t, sink.Addr, "", "public_url = \"http://"+web+"\"", "[rules.recipient-domain-unverified]\naction = \"hold\"\n\n[hold]\n"+holdKeys+"\n")
	g.baseCfg = strings.Replace(g.baseCfg, "listen = \""+g.web+"\"", "listen = \""+web+"\"", 1)
	g.web = web
	g.writeConfig(t, "[rules.recipient-domain-unverified]\naction = \"hold\"\n\n[hold]\n"+holdKeys+"\n")
	g.launch(t, buildBinary(t))
	return g
}

// stop ends the gateway with SIGTERM and waits for it.
func stop(t *testing.T, g *gateway) {
	t.Helper()
	g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("sendguard did not stop after SIGTERM")
	}
}

// openStore opens the gateway's SQLite store as another process would
// (the CLI does the same).
func openStore(t *testing.T, g *gateway) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(g.dir, "sendguard.db"), store.Options{Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func sendSMTP(t *testing.T, addr, from, to string, msg []byte) error {
	t.Helper()
	if code := sendDirect(t, addr, from, to, msg); code != 250 {
		return fmt.Errorf("reply %d, want 250", code)
	}
	return nil
}

// textOf decodes a message's text/plain parts.
func textOf(t *testing.T, raw []byte) string {
	t.Helper()
	text, err := mailtext.Plain(raw)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// waitMessages waits until the sink holds messages that match.
func waitMessages(t *testing.T, sink *smtpsink.Sink, n int, match func(smtpsink.Message) bool, within time.Duration) []smtpsink.Message {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var got []smtpsink.Message
		for _, m := range sink.Messages() {
			if match(m) {
				got = append(got, m)
			}
		}
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func isTo(addr string) func(smtpsink.Message) bool {
	return func(m smtpsink.Message) bool { return len(m.To) == 1 && m.To[0] == addr }
}

var pageLink = regexp.MustCompile(`http://[^\s]+/h/[a-z0-9]+\?t=[^\s]+`)

// pressOnPage opens the link as a browser would and presses the button.
func pressOnPage(t *testing.T, link, action string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d\n%s", link, resp.StatusCode, page)
	}
	form := url.Values{"action": {action}}
	for _, m := range regexp.MustCompile(`name="(t|csrf)" value="([^"]*)"`).FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], strings.NewReplacer("&amp;", "&", "&#43;", "+").Replace(m[2]))
	}
	u, _ := url.Parse(link)
	resp, err = c.PostForm(u.Scheme+"://"+u.Host+u.Path, form)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s: %d\n%s", action, resp.StatusCode, after)
	}
	return string(after)
}

// TestHeldMessageSurvivesRestartAndIsRelayedOnce: a held message is
// accepted (250) only into the store; it survives SIGTERM and a new start;
// the sender's notice carries the page link; "send now" there relays it
// exactly once with the released-by header; a cancelled one never goes.
func TestHeldMessageSurvivesRestartAndIsRelayedOnce(t *testing.T) {
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	g := holdGateway(t, sink, `expire = "1h"`)
	alice := "alice@example.co.jp"
	for _, to := range []string{"keep@kokyaku-shoji.jp", "drop@kokyaku-shoji.jp"} {
		if err := sendSMTP(t, g.addr, alice, to, mail(alice, to, "見積書 "+to, "本文", "", nil)); err != nil {
			t.Fatalf("held message: %v", err)
		}
	}
	notices := waitMessages(t, sink, 2, isTo(alice), 10*time.Second)
	if len(notices) != 2 {
		t.Fatalf("%d notices to the sender", len(notices))
	}
	links := map[string]string{}
	for _, n := range notices {
		text := textOf(t, n.Data)
		link := pageLink.FindString(text)
		if link == "" || !strings.Contains(text, "送信前の確認") {
			t.Fatalf("notice without a page link:\n%s", text)
		}
		for _, to := range []string{"keep@", "drop@"} {
			if strings.Contains(text, to+"kokyaku-shoji.jp") {
				links[to] = link
			}
		}
	}
	if sink.Count() != 2 {
		t.Fatalf("the upstream got %d messages (only the 2 notices expected)", sink.Count())
	}

	stop(t, g)
	g.launch(t, buildBinary(t))
	st := openStore(t, g)
	list, err := st.List(context.Background(), store.Filter{})
	if err != nil || len(list) != 2 || list[0].State != store.StateConfirm {
		t.Fatalf("after the restart: %+v %v", list, err)
	}

	if page := pressOnPage(t, links["drop@"], "cancel"); !strings.Contains(page, "送信を取り消しました") {
		t.Fatalf("cancel page:\n%s", page)
	}
	if page := pressOnPage(t, links["keep@"], "send"); !strings.Contains(page, "送信しました") {
		t.Fatalf("send page:\n%s", page)
	}
	got := waitMessages(t, sink, 1, isTo("keep@kokyaku-shoji.jp"), 10*time.Second)
	if len(got) != 1 {
		t.Fatalf("released message relayed %d times", len(got))
	}
	data := string(got[0].Data)
	if !strings.Contains(data, "X-Sendguard-Verdict: pass; released-by="+alice+"; ref=") || !strings.Contains(data, "Received: from ") {
		t.Fatalf("released message:\n%s", data[:min(len(data), 600)])
	}
	// A few more dispatcher rounds: still once; the cancelled one never.
	time.Sleep(3 * time.Second)
	if n := len(waitMessages(t, sink, 2, isTo("keep@kokyaku-shoji.jp"), 0)); n != 1 {
		t.Fatalf("relayed %d times", n)
	}
	if n := len(waitMessages(t, sink, 1, isTo("drop@kokyaku-shoji.jp"), 0)); n != 0 {
		t.Fatal("a cancelled message was relayed")
	}
	trail, _ := st.Trail(context.Background(), list[1].Ref)
	var events []string
	for _, e := range trail {
		events = append(events, e.Event)
	}
	if !strings.Contains(strings.Join(events, ","), "held,") {
		t.Fatalf("trail %v", events)
	}
	audit := readFile(t, g.audit)
	for _, want := range []string{`"result":"held"`, `"event":"held-page"`, `"event":"relayed"`} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
}

// TestDelayThenUpstreamDownThenExpiry: a timed delay holds external mail
// until its time (not before); an upstream that answers 4xx is retried
// until it accepts; a confirmation nobody gives expires and the sender is
// told.
func TestDelayThenUpstreamDownThenExpiry(t *testing.T) {
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	g := holdGateway(t, sink, "delay = \"3s\"\nexpire = \"4s\"\nretry_interval = \"1s\"")
	alice := "alice@example.co.jp"
	bob := "bob@partner.example.com" // verified: only the delay applies
	sent := time.Now()
	if err := sendSMTP(t, g.addr, alice, bob, mail(alice, bob, "delayed", "本文", "", nil)); err != nil {
		t.Fatal(err)
	}
	// From now on the upstream is down for the released message (the
	// session itself was proxied while it was up).
	var refusals atomic.Int32
	sink.SetBehaviour(smtpsink.Behaviour{Rcpt: func(to string) *smtp.SMTPError {
		if to == bob && refusals.Load() < 2 {
			refusals.Add(1)
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again"}
		}
		return nil
	}})
	if err := sendSMTP(t, g.addr, alice, "x@kokyaku-shoji.jp", mail(alice, "x@kokyaku-shoji.jp", "never confirmed", "本文", "", nil)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if n := len(waitMessages(t, sink, 1, isTo(bob), 0)); n != 0 {
		t.Fatal("a delayed message went out before its delay")
	}
	got := waitMessages(t, sink, 1, isTo(bob), 20*time.Second)
	if len(got) != 1 || time.Since(sent) < 3*time.Second {
		t.Fatalf("delayed message: %d after %s", len(got), time.Since(sent))
	}
	if !bytes.Contains(got[0].Data, []byte("released-by=delay")) || refusals.Load() != 2 {
		t.Fatalf("refusals %d\n%s", refusals.Load(), got[0].Data)
	}
	expired := waitMessages(t, sink, 1, func(m smtpsink.Message) bool {
		return len(m.To) == 1 && m.To[0] == alice && strings.Contains(textOf(t, m.Data), "期限切れ")
	}, 15*time.Second)
	if len(expired) != 1 {
		t.Fatal("no expiry notice to the sender")
	}
	st := openStore(t, g)
	list, _ := st.List(context.Background(), store.Filter{All: true})
	states := map[store.State]int{}
	for _, h := range list {
		states[h.State]++
	}
	if states[store.StateRelayed] != 1 || states[store.StateExpired] != 1 {
		t.Fatalf("states %v", states)
	}
	if n := len(waitMessages(t, sink, 1, isTo("x@kokyaku-shoji.jp"), 0)); n != 0 {
		t.Fatal("an expired message was relayed")
	}
}
