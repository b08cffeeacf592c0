package policy_test

import (
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/sendguard/sendguard/policy"
)

// startDNS runs a real DNS server on loopback: "mx.example" has an MX,
// "gone.example" does not exist, "broken.example" answers SERVFAIL.
func startDNS(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := dns.NewServeMux()
	mux.HandleFunc(".", func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		switch strings.ToLower(q.Name) {
		case "mx.example.":
			if q.Qtype == dns.TypeMX {
				mx, _ := dns.NewRR("mx.example. 300 IN MX 10 mail.mx.example.")
				m.Answer = append(m.Answer, mx)
			}
		case "broken.example.":
			m.Rcode = dns.RcodeServerFailure
		default:
			m.Rcode = dns.RcodeNameError
			soa, _ := dns.NewRR("example. 300 IN SOA ns.example. host.example. 1 3600 600 86400 60")
			m.Ns = append(m.Ns, soa)
		}
		w.WriteMsg(m)
	})
	srv := &dns.Server{PacketConn: pc, Handler: mux}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

func TestRecipientDomainUnresolvable(t *testing.T) {
	resolver := startDNS(t)
	p := compile(t, policy.Config{Domains: policy.DomainsConfig{
		Internal: []string{"example.co.jp"}, DNSCheck: true, DNSResolver: resolver, DNSTimeout: "1s",
	}})
	msg := []byte("From: alice@example.co.jp\r\nTo: x@y\r\nSubject: s\r\n\r\nbody\r\n")
	cases := []struct {
		to         string
		unresolved bool
	}{
		{"a@mx.example", false},
		{"a@gone.example", true},
		{"a@broken.example", false}, // our own DNS trouble never counts against the sender
	}
	for _, c := range cases {
		v := evaluate(t, p, policy.Envelope{From: "alice@example.co.jp", To: []string{c.to}}, msg)
		got := strings.Contains(strings.Join(v.Rules(), ","), "recipient-domain-unresolvable")
		if got != c.unresolved {
			t.Errorf("%s: unresolvable=%v, want %v (rules %v)", c.to, got, c.unresolved, v.Rules())
		}
	}
}
