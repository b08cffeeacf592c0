package policy

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestJSONKeysAreSnakeCase(t *testing.T) {
	for in, want := range map[string]string{"Masked": "masked", "OtherSuffix": "other_suffix", "Part": "part", "SHA256Sum": "sha256_sum", "Tried": "tried", "ID": "id"} {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%q) = %q, want %q", in, got, want)
		}
	}
	v := Verdict{Findings: []Finding{{Rule: "password-in-body", Data: map[string]string{"Masked": "se****", "Where": "subject"}}}}
	b, err := json.Marshal(struct {
		Envelope Envelope `json:"envelope"`
		*Verdict
	}{Envelope{From: "a@b", To: []string{"c@d"}}, &v})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"from":"a@b"`, `"to":["c@d"]`, `"auth_user":""`, `"masked":"se****"`, `"where":"subject"`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON %s lacks %s", s, want)
		}
	}
	if v.Findings[0].Data["Masked"] != "se****" {
		t.Errorf("marshalling changed the finding's own Data")
	}
}
