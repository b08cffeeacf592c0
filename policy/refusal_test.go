package policy_test

import (
	"fmt"
	"testing"

	"github.com/sendguard/sendguard/policy"
)

// A verdict takes the most severe action (approve over hold), and its
// refusal names every finding that stopped the message without changing
// the verdict it came from.
func TestRefusal(t *testing.T) {
	findings := []policy.Finding{
		{Rule: "a", Action: policy.Flag}, {Rule: "b", Action: policy.Hold}, {Rule: "c", Action: policy.Approve},
	}
	v := &policy.Verdict{Action: policy.Approve, Findings: findings}
	if got := fmt.Sprint(rules(v.Deciding())); got != "[c]" {
		t.Fatalf("Deciding = %s", got)
	}
	r := v.Refusal()
	if r.Action != policy.Reject || fmt.Sprint(rules(r.Deciding())) != "[b c]" {
		t.Errorf("Refusal: %v deciding %v, want reject [b c]", r.Action, rules(r.Deciding()))
	}
	if v.Action != policy.Approve || v.Findings[1].Action != policy.Hold || v.Findings[2].Action != policy.Approve {
		t.Errorf("Refusal changed the verdict: %+v", v)
	}
	for _, a := range []policy.Action{policy.Pass, policy.Flag, policy.Reject, policy.Tempfail} {
		if w := (&policy.Verdict{Action: a, Findings: findings}); w.Refusal() != w {
			t.Errorf("Refusal of %v is not the verdict itself", a)
		}
	}
	for _, c := range []struct {
		s    string
		want policy.Action
	}{{"hold", policy.Hold}, {"APPROVE", policy.Approve}} {
		if a, err := policy.ParseAction(c.s); err != nil || a != c.want {
			t.Errorf("ParseAction(%q) = %v, %v", c.s, a, err)
		}
	}
	if !(policy.Flag < policy.Hold && policy.Hold < policy.Approve && policy.Approve < policy.Reject) {
		t.Error("actions out of order of severity")
	}
}

func rules(fs []policy.Finding) []string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.Rule)
	}
	return ids
}
