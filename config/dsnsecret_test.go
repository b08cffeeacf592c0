package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A database password pgx reads from the DSN's query (password=,
// sslpassword=) makes a group- or world-readable configuration an error
// like one in the user part; a DSN that is no valid URL is reported
// without its text (url.Parse's error quotes it, password and all).
func TestStoreDSNSecretsInQueryAndInvalidURL(t *testing.T) {
	cases := []struct{ dsn, want string }{
		{"postgres://sendguard@db.example.co.jp/sendguard?password=s3cret", "a database password"},
		{"postgres://sendguard@db.example.co.jp/sendguard?sslmode=verify-full&sslpassword=s3cret", "a database password"},
		{"postgres://sendguard:s3cret%zz@db.example.co.jp/sendguard", "not a URL"},
		{"mysql://sendguard@db.example.co.jp/sendguard?password=s3cret", "must start with sqlite: or postgres://"},
	}
	for _, c := range cases {
		p := filepath.Join(t.TempDir(), "c.toml")
		if err := os.WriteFile(p, []byte("[upstream]\naddress = \"capture:./c\"\n[store]\ndsn = \""+c.dsn+"\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, 0o644)
		_, err := Load(p)
		if err == nil || !strings.Contains(err.Error(), "store.dsn:") || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: err %v", c.dsn, err)
		}
	}
}
