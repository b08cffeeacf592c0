package web

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestVerify: each row is one way a link may be altered or misused, and
// the error Verify must give.
func TestVerify(t *testing.T) {
	s := Signer{Key: []byte("0123456789abcdef0123456789abcdef")}
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	exp := now.Add(time.Hour)
	good := s.Token("m1", RoleSender, exp)
	payload, sig, _ := strings.Cut(good, ".")
	// resign replaces the payload but keeps the signature: what an
	// attacker without the key can do.
	resign := func(p string) string { return base64.RawURLEncoding.EncodeToString([]byte(p)) + "." + sig }
	flip := func(tok string, i int) string {
		b := []byte(tok)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	for _, tc := range []struct {
		name, token, ref string
		at               time.Time
		role             string
		err              error
	}{
		{"valid", good, "m1", now, RoleSender, nil},
		{"valid approver", s.Token("m1", ApproverRole("Boss@Example.co.jp"), exp), "m1", now, "approver:boss@example.co.jp", nil},
		{"last second", good, "m1", exp.Add(-time.Second), RoleSender, nil},
		{"at expiry", good, "m1", exp, "", ErrExpired},
		{"expired", good, "m1", now.Add(2 * time.Hour), "", ErrExpired},
		{"other message (ref swapped in the URL)", good, "m2", now, "", ErrOtherRef},
		{"ref swapped in the token", resign("m2\nsender\n" + itoa(exp)), "m2", now, "", ErrSignature},
		{"role swapped to approver", resign("m1\napprover:boss@example.co.jp\n" + itoa(exp)), "m1", now, "", ErrSignature},
		{"role swapped to reject", resign("m1\nreject\n" + itoa(exp)), "m1", now, "", ErrSignature},
		{"expiry extended", resign("m1\nsender\n" + itoa(exp.Add(24*time.Hour))), "m1", now, "", ErrSignature},
		{"payload byte flipped", flip(good, 2), "m1", now, "", ErrSignature},
		{"signature byte flipped", flip(good, len(payload)+3), "m1", now, "", ErrSignature},
		{"signature truncated", good[:len(good)-4], "m1", now, "", ErrSignature},
		{"other key", Signer{Key: []byte("fedcba9876543210fedcba9876543210")}.Token("m1", RoleSender, exp), "m1", now, "", ErrSignature},
		{"empty", "", "m1", now, "", ErrMalformed},
		{"no dot", payload, "m1", now, "", ErrMalformed},
		{"not base64", "!!!." + sig, "m1", now, "", ErrMalformed},
		{"huge", strings.Repeat("A", 4096) + "." + sig, "m1", now, "", ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			role, err := s.Verify(tc.token, tc.ref, tc.at)
			if !errors.Is(err, tc.err) || role != tc.role {
				t.Fatalf("Verify = %q, %v; want %q, %v", role, err, tc.role, tc.err)
			}
		})
	}
}

func itoa(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func TestURLs(t *testing.T) {
	s := Signer{Key: make([]byte, KeySize)}
	exp := time.Now().Add(time.Hour)
	u := s.HeldURL("https://sendguard.example.co.jp/", "m1", RoleSender, exp)
	if !strings.HasPrefix(u, "https://sendguard.example.co.jp/h/m1?t=") {
		t.Fatal(u)
	}
	u = s.RejectURL("https://sendguard.example.co.jp", "r1", exp)
	tok, ok := strings.CutPrefix(u, "https://sendguard.example.co.jp/r/r1?t=")
	if !ok {
		t.Fatal(u)
	}
	if role, err := s.Verify(tok, "r1", time.Now()); err != nil || role != RoleReject {
		t.Fatal(role, err)
	}
}

func TestKeyFileRefused(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "web.key")
	k, err := LoadOrCreateKey(p)
	if err != nil || len(k) != KeySize {
		t.Fatal(k, err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Fatalf("created with mode %v", st.Mode().Perm())
	}
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(p); err == nil || !strings.Contains(err.Error(), "readable by group or others") {
		t.Fatalf("a group-readable key: %v", err)
	}
	short := filepath.Join(dir, "short.key")
	if err := os.WriteFile(short, []byte("too short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(short); err == nil || !strings.Contains(err.Error(), "fewer than the 32") {
		t.Fatalf("a short key: %v", err)
	}
	if _, err := LoadOrCreateKey(filepath.Join(dir, "missing", "web.key")); err == nil {
		t.Fatal("a key in a missing directory")
	}
}
