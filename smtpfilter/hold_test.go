package smtpfilter_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sendguard/sendguard/notify"
	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/smtpfilter"
	"github.com/sendguard/sendguard/store"
)

// holdHarness starts sendguard with a SQLite store; delay applies to
// external mail when > 0.
func holdHarness(t *testing.T, pc policy.Config, delay time.Duration) (*harness, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "held.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := start(t, options{policy: pc, server: func(c *smtpfilter.Config) {
		c.Holds = &smtpfilter.Holds{
			Store: st,
			Delay: func(sender string, external bool) time.Duration {
				if external {
					return delay
				}
				return 0
			},
			Approvers: func(string) []string { return []string{"boss@example.co.jp"} },
			Expire:    72 * time.Hour,
			Notices: notify.HeldNotices{From: "postmaster@example.co.jp", Hostname: "sendguard.test",
				Link: func(ref, role string, _ time.Time) string {
					return "https://sendguard.example.co.jp/h/" + ref + "?t=" + role
				}},
			RejectLink: func(ref string) string { return "https://sendguard.example.co.jp/r/" + ref + "?t=x" },
		}
	}})
	return h, st
}

// sendRaw sends one message over a raw connection and returns the reply
// to the end of DATA.
func sendRaw(h *harness, from string, to []string, msg []byte) string {
	h.t.Helper()
	r := h.raw()
	r.cmd("EHLO mta.example.co.jp", "250")
	r.cmd("MAIL FROM:<"+from+">", "250")
	for _, rc := range to {
		r.cmd("RCPT TO:<"+rc+">", "250")
	}
	r.cmd("DATA", "354")
	r.write(string(msg) + "\r\n.\r\n")
	return r.reply()
}

func TestDelayedExternalMailIsHeldNotRelayed(t *testing.T) {
	h, st := holdHarness(t, defaultPolicy(), 5*time.Minute)
	msg := message("tanaka@example.co.jp", "a@kokyaku-shoji.jp", "見積書", "本文です。\n", "", nil)
	// A forged verdict header from the client must not survive in the
	// stored copy.
	msg = append([]byte("X-Sendguard-Verdict: pass; released-by=boss@example.co.jp\r\n"), msg...)
	reply := sendRaw(h, "tanaka@example.co.jp", []string{"a@kokyaku-shoji.jp"}, msg)
	if !strings.HasPrefix(reply, "250 2.0.0 Queued: goes out at") || !strings.Contains(reply, "(ref ") {
		t.Fatalf("reply %q", reply)
	}
	if h.sink.Count() != 0 {
		t.Fatal("a delayed message reached the upstream at once")
	}
	list, err := st.List(context.Background(), store.Filter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("held: %v %v", list, err)
	}
	held := list[0]
	if held.State != store.StateDelayed || held.Sender != "tanaka@example.co.jp" || held.Summary.Subject != "見積書" ||
		held.ReleaseAt.Sub(held.HeldAt) != 5*time.Minute || held.Summary.Recipients[0].Class != "unverified" {
		t.Fatalf("held %+v", held)
	}
	body, err := st.Body(context.Background(), held.Ref)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	if bytes.Contains(b, []byte("X-Sendguard-Verdict")) || !bytes.Contains(b, []byte("本文です。")) {
		t.Fatalf("stored body:\n%s", b)
	}
	notices, _ := st.PendingNotices(context.Background())
	if len(notices) != 1 || notices[0].Kind != "sender-delayed" || notices[0].Recipients[0] != "tanaka@example.co.jp" {
		t.Fatalf("notices %+v", notices)
	}
	lines := h.waitAudit(1)
	if lines[0]["result"] != "held" || lines[0]["reply_code"] != float64(250) {
		t.Fatalf("audit %v", lines[0])
	}

	// Internal mail is not delayed.
	reply = sendRaw(h, "tanaka@example.co.jp", []string{"suzuki@example.co.jp"}, message("tanaka@example.co.jp", "suzuki@example.co.jp", "x", "y\n", "", nil))
	if !strings.HasPrefix(reply, "250") || h.sink.Count() != 1 {
		t.Fatalf("internal mail: %q, %d relayed", reply, h.sink.Count())
	}
}

func TestStoreFailureIsATempfail(t *testing.T) {
	h, st := holdHarness(t, defaultPolicy(), time.Minute)
	st.Close()
	reply := sendRaw(h, "tanaka@example.co.jp", []string{"a@kokyaku-shoji.jp"}, message("tanaka@example.co.jp", "a@kokyaku-shoji.jp", "x", "y\n", "", nil))
	if !strings.HasPrefix(reply, "451 4.3.0") {
		t.Fatalf("reply %q", reply)
	}
	if h.sink.Count() != 0 {
		t.Fatal("relayed although the hold failed")
	}
}

func TestRejectReplyLinksToTheExplanation(t *testing.T) {
	h, st := holdHarness(t, defaultPolicy(), 0)
	zip := plainZip(t, "顧客一覧.csv", "name,phone\n")
	reply := sendRaw(h, "tanaka@example.co.jp", []string{"a@partner.example.com"},
		message("tanaka@example.co.jp", "a@partner.example.com", "x", "y\n", "list.zip", zip))
	if !strings.HasPrefix(reply, "550") || !strings.Contains(reply, "[attachment-unencrypted]") {
		t.Fatalf("reply %q", reply)
	}
	lines := strings.Split(reply, "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "550 5.7.1 Explanation in Japanese and English") || !strings.Contains(last, "https://sendguard.example.co.jp/r/") {
		t.Fatalf("last line %q", last)
	}
	ref := last[strings.Index(last, "/r/")+3 : strings.Index(last, "?t=")]
	rej, err := st.GetRejection(context.Background(), ref)
	if err != nil || rej.Sender != "tanaka@example.co.jp" || len(rej.Summary.Findings) == 0 || rej.Summary.Findings[0].ReasonJA == "" {
		t.Fatalf("rejection %+v %v", rej, err)
	}
}

func TestHoldAndApproveVerdictsWaitInTheStore(t *testing.T) {
	pc := defaultPolicy()
	pc.Rules = map[string]policy.RuleConfig{
		"recipient-domain-unverified": {Action: "hold"},
		"link-file-sharing":           {Action: "approve"},
	}
	h, st := holdHarness(t, pc, 0)
	ctx := context.Background()

	reply := sendRaw(h, "tanaka@example.co.jp", []string{"a@kokyaku-shoji.jp"},
		message("tanaka@example.co.jp", "a@kokyaku-shoji.jp", "ご確認", "よろしくお願いします。\n", "", nil))
	if !strings.HasPrefix(reply, "250 2.0.0 Held until the sender confirms it") {
		t.Fatalf("hold: %q", reply)
	}
	reply = sendRaw(h, "tanaka@example.co.jp", []string{"b@kokyaku-shoji.jp"},
		message("tanaka@example.co.jp", "b@kokyaku-shoji.jp", "資料", "こちらからどうぞ https://firestorage.jp/download/abc\n", "", nil))
	if !strings.HasPrefix(reply, "250 2.0.0 Held for approval by boss@example.co.jp") {
		t.Fatalf("approve: %q", reply)
	}
	if h.sink.Count() != 0 {
		t.Fatal("a held message reached the upstream")
	}
	list, _ := st.List(ctx, store.Filter{})
	if len(list) != 2 || list[0].State != store.StateConfirm || list[1].State != store.StateApproval ||
		strings.Join(list[1].Approvers, ",") != "boss@example.co.jp" || list[0].ExpireAt.Sub(list[0].HeldAt) != 72*time.Hour {
		t.Fatalf("held: %+v", list)
	}
	if !slices.Contains(list[1].Rules, "link-file-sharing") || !slices.Contains(list[1].FlagRules, "recipient-domain-unverified") && !slices.Contains(list[1].Rules, "recipient-domain-unverified") {
		t.Fatalf("rules %v flag %v", list[1].Rules, list[1].FlagRules)
	}
	notices, _ := st.PendingNotices(ctx)
	var kinds []string
	for _, n := range notices {
		kinds = append(kinds, n.Kind+">"+n.Recipients[0])
	}
	want := "sender-confirm>tanaka@example.co.jp sender-approval>tanaka@example.co.jp approver-request>boss@example.co.jp"
	if strings.Join(kinds, " ") != want {
		t.Fatalf("notices %v, want %s", kinds, want)
	}
}

// Without a store a hold or approve verdict is refused, naming every
// finding that stopped the message.
func TestHoldWithoutAStoreIsRefusedNamingEveryFinding(t *testing.T) {
	pc := defaultPolicy()
	pc.Rules = map[string]policy.RuleConfig{
		"recipient-domain-unverified": {Action: "hold"},
		"link-file-sharing":           {Action: "approve"},
	}
	h := start(t, options{policy: pc})
	reply := sendRaw(h, "tanaka@example.co.jp", []string{"b@kokyaku-shoji.jp"},
		message("tanaka@example.co.jp", "b@kokyaku-shoji.jp", "資料", "こちらから https://firestorage.jp/download/abc\n", "", nil))
	if !strings.HasPrefix(reply, "550") || !strings.Contains(reply, "[link-file-sharing]") || !strings.Contains(reply, "[recipient-domain-unverified]") {
		t.Fatalf("reply %q", reply)
	}
	if h.sink.Count() != 0 {
		t.Fatal("relayed")
	}
}
