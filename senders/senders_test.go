package senders

import "testing"

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		entry, sender string
		want          bool
	}{
		{"*@sales.example.co.jp", "Tanaka@Sales.Example.co.jp", true},
		{"@sales.example.co.jp", "tanaka@sales.example.co.jp", true},
		{"sales.example.co.jp", "tanaka@sales.example.co.jp", true},
		{"sales.example.co.jp", "tanaka@evil-sales.example.co.jp", false},
		{"*@sales.example.co.jp", "tanaka@hr.example.co.jp", false},
		{"tanaka@example.co.jp", "tanaka@example.co.jp", true},
		{"tanaka@example.co.jp", "tanaka2@example.co.jp", false},
		{"*@*.example.co.jp", "a@hr.example.co.jp", true},
		{"*@*.example.co.jp", "a@example.co.jp", false},
		{"*@sales.example.co.jp", "", false},
	} {
		if got := Match(c.entry, c.sender); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.entry, c.sender, got, c.want)
		}
	}
	if Check("[") == nil || Check(" ") == nil || Check("*@example.co.jp") != nil {
		t.Error("Check")
	}
}
