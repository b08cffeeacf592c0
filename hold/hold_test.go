package hold

import (
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
)

func compile(t *testing.T, src string) (*Rules, error) {
	t.Helper()
	var c struct {
		Hold Config `toml:"hold"`
	}
	if err := toml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	return Compile(c.Hold)
}

func TestApproversAndDelay(t *testing.T) {
	r, err := compile(t, `
[hold]
delay = "5m"
exempt_senders = ["ceo@example.co.jp", "@noreply.example.co.jp"]
default_approvers = ["security@example.co.jp"]
[[hold.approvers]]
senders = ["*@sales.example.co.jp"]
approvers = ["Boss@example.co.jp", "tanaka@sales.example.co.jp"]
[[hold.approvers]]
senders = ["hr.example.co.jp"]
approvers = ["hr-lead@example.co.jp"]
`)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sender string
		want   string
	}{
		{"suzuki@sales.example.co.jp", "boss@example.co.jp,tanaka@sales.example.co.jp"},
		// A sender never approves their own message.
		{"tanaka@sales.example.co.jp", "boss@example.co.jp"},
		{"a@hr.example.co.jp", "hr-lead@example.co.jp"},
		{"a@dev.example.co.jp", "security@example.co.jp"},
	} {
		if got := strings.Join(r.Approvers(c.sender), ","); got != c.want {
			t.Errorf("Approvers(%s) = %s, want %s", c.sender, got, c.want)
		}
	}
	for _, c := range []struct {
		sender   string
		external bool
		want     time.Duration
	}{
		{"suzuki@sales.example.co.jp", true, 5 * time.Minute},
		{"suzuki@sales.example.co.jp", false, 0},
		{"ceo@example.co.jp", true, 0},
		{"alerts@noreply.example.co.jp", true, 0},
	} {
		if got := r.Delay(c.sender, c.external); got != c.want {
			t.Errorf("Delay(%s, %v) = %s, want %s", c.sender, c.external, got, c.want)
		}
	}
	if r.Expire() != 72*time.Hour || r.RetryFor() != 24*time.Hour || !r.HasApprovers() {
		t.Error("defaults")
	}
}

func TestScopeAllAndOff(t *testing.T) {
	r, err := compile(t, "[hold]\ndelay = \"1m\"\nscope = \"all\"\nexpire = \"8h\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if r.Delay("a@example.co.jp", false) != time.Minute || r.Expire() != 8*time.Hour || r.HasApprovers() {
		t.Error("scope all")
	}
	r, _ = compile(t, "[hold]\n")
	if r.Delay("a@example.co.jp", true) != 0 {
		t.Error("delay off by default")
	}
}

func TestErrorsNameTheirKeys(t *testing.T) {
	_, err := compile(t, `
[hold]
scope = "internal"
delay = "48h"
exempt_senders = ["["]
default_approvers = ["Boss <boss@example.co.jp>"]
[[hold.approvers]]
senders = []
approvers = ["not-an-address"]
`)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"hold.scope:", "hold.delay:", "hold.exempt_senders[0]:", "hold.default_approvers:", "hold.approvers[0].senders:", "hold.approvers[0].approvers: not an address"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}
