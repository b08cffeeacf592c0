package e2e

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sendguard/sendguard/internal/pgtest"
	"github.com/sendguard/sendguard/internal/smtpsink"
	"github.com/sendguard/sendguard/store"
)

// replica runs one sendguard replica on the shared PostgreSQL store.
func replica(t *testing.T, sink *smtpsink.Sink, dsn, keyFile string) *gateway {
	t.Helper()
	web := freeAddr(t)
	g := newGateway(t, sink.Addr, "", fmt.Sprintf("public_url = %q\nkey_file = %q", "http://"+web, keyFile),
		fmt.Sprintf("[store]\ndsn = %q\nlease = \"10s\"\n\n[hold]\ndelay = \"1s\"\nexpire = \"1h\"\nretry_interval = \"1s\"\n\n[rules.recipient-domain-unverified]\naction = \"hold\"\n", dsn))
	g.baseCfg = strings.Replace(g.baseCfg, "listen = \""+g.web+"\"", "listen = \""+web+"\"", 1)
	g.web = web
	g.writeConfig(t, fmt.Sprintf("[store]\ndsn = %q\nlease = \"10s\"\n\n[hold]\ndelay = \"1s\"\nexpire = \"1h\"\nretry_interval = \"1s\"\n\n[rules.recipient-domain-unverified]\naction = \"hold\"\n", dsn))
	g.launch(t, buildBinary(t))
	return g
}

// subjects counts the messages at the sink per subject, for one recipient.
func subjects(sink *smtpsink.Sink, rcpt string) map[string]int {
	out := map[string]int{}
	for _, m := range sink.Messages() {
		if len(m.To) != 1 || m.To[0] != rcpt {
			continue
		}
		i := bytes.Index(m.Data, []byte("\r\nSubject: "))
		if i < 0 {
			continue
		}
		rest := m.Data[i+11:]
		out[string(rest[:bytes.Index(rest, []byte("\r\n"))])]++
	}
	return out
}

// TestReplicasShareTheStore: two replicas on one PostgreSQL. A few
// hundred delayed messages arriving at both are relayed exactly once each;
// held messages are released from either replica's page whichever held
// them; a replica killed in the middle of a relay leaves the message to the
// other after its lease, and it still arrives exactly once.
func TestReplicasShareTheStore(t *testing.T) {
	dsn := pgtest.DSN(t)
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	key := filepath.Join(t.TempDir(), "web.key")
	a := replica(t, sink, dsn, key)
	b := replica(t, sink, dsn, key)
	alice, bob := "alice@example.co.jp", "bob@partner.example.com"

	const n = 300
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				g := a
				if i%2 == 1 {
					g = b
				}
				if code := sendDirect(t, g.addr, alice, bob, mail(alice, bob, fmt.Sprintf("msg-%03d", i), "本文", "", nil)); code != 250 {
					errs <- fmt.Errorf("msg-%03d: %d", i, code)
				}
			}
		}()
	}
	// Held for confirmation at both; released from the other replica's page.
	const held = 10
	for i := range held {
		g := a
		if i%2 == 1 {
			g = b
		}
		to := fmt.Sprintf("held%02d@kokyaku-shoji.jp", i)
		if code := sendDirect(t, g.addr, alice, to, mail(alice, to, fmt.Sprintf("held-%02d", i), "本文", "", nil)); code != 250 {
			t.Fatalf("held-%02d: %d", i, code)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	notices := waitMessages(t, sink, held, func(m smtpsink.Message) bool {
		return len(m.To) == 1 && m.To[0] == alice && strings.Contains(textOf(t, m.Data), "送信前の確認")
	}, 30*time.Second)
	if len(notices) != held {
		t.Fatalf("%d confirmation notices, want %d", len(notices), held)
	}
	for _, nm := range notices {
		link := pageLink.FindString(textOf(t, nm.Data))
		// Open it on the other replica's page.
		if strings.Contains(link, a.web) {
			link = strings.Replace(link, a.web, b.web, 1)
		} else {
			link = strings.Replace(link, b.web, a.web, 1)
		}
		if page := pressOnPage(t, link, "send"); !strings.Contains(page, "送信しました") {
			t.Fatalf("send on the other replica's page:\n%s", page)
		}
	}

	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && len(subjects(sink, bob)) < n {
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // a few more rounds: nothing may come twice
	got := subjects(sink, bob)
	for i := range n {
		if c := got[fmt.Sprintf("msg-%03d", i)]; c != 1 {
			t.Errorf("msg-%03d arrived %d times", i, c)
		}
	}
	for i := range held {
		to := fmt.Sprintf("held%02d@kokyaku-shoji.jp", i)
		if c := subjects(sink, to)[fmt.Sprintf("held-%02d", i)]; c != 1 {
			t.Errorf("held-%02d arrived %d times", i, c)
		}
	}
	// Both replicas relayed some of them.
	st, err := store.Open(context.Background(), dsn, store.Options{Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	byReplica := map[string]int{}
	list, _ := st.List(context.Background(), store.Filter{All: true, Limit: 2000})
	for _, h := range list {
		trail, _ := st.Trail(context.Background(), h.Ref)
		for _, e := range trail {
			if e.Event == "relayed" {
				byReplica[e.Actor]++
			}
		}
	}
	if len(byReplica) != 2 {
		t.Errorf("relays by replica: %v (want both)", byReplica)
	}
	t.Logf("relays by replica: %v", byReplica)

	// A replica killed mid-relay. Only a runs; the sink holds the DATA
	// of a 4 MB message unread, so a's write is stuck mid-transfer.
	stop(t, b)
	entered := make(chan struct{}, 1)
	gate := make(chan struct{})
	sink.SetBehaviour(smtpsink.Behaviour{BeforeData: func(m smtpsink.Message) {
		if len(m.To) == 1 && m.To[0] == "big@partner.example.com" {
			select {
			case entered <- struct{}{}:
				<-gate
			default:
			}
		}
	}})
	big := mail(alice, "big@partner.example.com", "big-one", strings.Repeat("大きな本文です。\r\n", 4<<20/27), "", nil)
	if code := sendDirect(t, a.addr, alice, "big@partner.example.com", big); code != 250 {
		t.Fatalf("big: %d", code)
	}
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("replica a never started relaying the big message")
	}
	a.cmd.Process.Signal(syscall.SIGKILL)
	<-a.exited
	close(gate)
	sink.SetBehaviour(smtpsink.Behaviour{})
	b.launch(t, buildBinary(t))
	if len(waitMessages(t, sink, 1, isTo("big@partner.example.com"), 40*time.Second)) == 0 {
		t.Fatal("the big message never arrived after its lease ran out")
	}
	time.Sleep(2 * time.Second)
	arrived := waitMessages(t, sink, 2, isTo("big@partner.example.com"), 0)
	if len(arrived) != 1 || !bytes.Contains(arrived[0].Data, []byte("大きな本文です。")) || len(arrived[0].Data) < 3<<20 {
		t.Fatalf("the big message arrived %d times", len(arrived))
	}
	list, _ = st.List(context.Background(), store.Filter{All: true, Limit: 2000})
	for _, h := range list {
		if h.Summary.Subject == "big-one" && (h.State != store.StateRelayed || h.Attempts != 2) {
			t.Fatalf("big one: state %s, attempts %d", h.State, h.Attempts)
		}
	}
}
