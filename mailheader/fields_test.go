package mailheader

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	fs := Parse([]byte("Subject: a\r\n b\r\nnot a field\r\nX-Empty:\r\nTo: x@example.jp\r\nto : y@example.jp\r\n" +
		"Bad Name: z\r\nAuto-Submitted: no\r\n\r\nAuto-Submitted: auto-replied\r\n"))
	want := Fields{{"Subject", "a b"}, {"X-Empty", ""}, {"To", "x@example.jp"}, {"to ", "y@example.jp"},
		{"Auto-Submitted", "no"}}
	// "to " has white space in its name: it is not a field.
	want = append(want[:3], want[4:]...)
	if !reflect.DeepEqual(fs, want) {
		t.Fatalf("Parse: %q\nwant %q", fs, want)
	}
	for _, c := range []struct{ name, want string }{
		{"subject", "a b"}, {"AUTO-SUBMITTED", "no"}, {"x-empty", ""}, {"Missing", ""},
	} {
		if got := fs.Get(c.name); got != c.want {
			t.Errorf("Get(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestValues: every field of a name counts, not only the first (several
// To fields are one list).
func TestValues(t *testing.T) {
	fs := Parse([]byte("To: a@example.jp\r\nCc: c@example.jp\r\nTO: b@example.jp,\r\n\td@example.jp\r\n\r\n"))
	if got, want := fs.Values("to"), []string{"a@example.jp", "b@example.jp, d@example.jp"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Values(to) = %q, want %q", got, want)
	}
	if got := fs.Values("Bcc"); got != nil {
		t.Errorf("Values(Bcc) = %q", got)
	}
}

func TestIsField(t *testing.T) {
	for _, c := range []struct {
		line string
		want bool
	}{
		{"X-Sendguard-Verdict: pass\r\n", true},
		{"x-sendguard-VERDICT:pass", true},
		{"X-Sendguard-Verdict \t: pass", true},
		{"X-Sendguard-Verdicts: pass", false},
		{"X-Sendguard-Verdict-Other: x", false},
		{" X-Sendguard-Verdict: x", false},
		{"X-Sendguard-Verdict", false},
		{"X-Sendguard-Verdict   ", false},
		{"X-Sendguard-Verdict;x", false},
		{"", false},
	} {
		if got := IsField([]byte(c.line), "X-Sendguard-Verdict"); got != c.want {
			t.Errorf("IsField(%q) = %v, want %v", c.line, got, c.want)
		}
	}
}
