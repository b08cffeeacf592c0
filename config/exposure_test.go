package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sendguard/sendguard/internal/testcert"
)

// TestExposureIsRefused: configurations that make an open relay or expose
// secrets fail to load (and so fail `policy lint` and `serve`), each error
// naming line and key; weaker exposures load with a warning.
func TestExposureIsRefused(t *testing.T) {
	cert, err := testcert.New()
	if err != nil {
		t.Fatal(err)
	}
	const hash = "$2a$10$7EqJtq98hPqEX7fNZaFWoOhi5BWX4Z6CKaqfk6qUZ0E4o3l0ZRH3e" // bcrypt of "x"
	cases := []struct {
		name      string
		toml      string
		keyMode   os.FileMode // of key.pem
		fileMode  os.FileMode // of the configuration file
		wantErr   []string
		wantWarns []string
	}{
		{name: "whole Internet allowed on a public listener",
			toml:    "[server]\nlisten = \"0.0.0.0:2525\"\nallowed_networks = [\"192.0.2.10/32\", \"0.0.0.0/0\"]\n",
			wantErr: []string{":3: server.allowed_networks: entry 2 (0.0.0.0/0)", "open relay"}},
		{name: "a /4 on a public listener",
			toml:    "[server]\nlisten = \"192.0.2.1:25\"\nallowed_networks = [\"64.0.0.0/4\"]\n",
			wantErr: []string{"server.allowed_networks: entry 1 (64.0.0.0/4)"}},
		{name: "IPv6 everywhere on a public listener",
			toml:    "[server]\nlisten = \"[::]:2525\"\nallowed_networks = [\"::/0\"]\n",
			wantErr: []string{"entry 1 (::/0)"}},
		{name: "wide networks on loopback are fine",
			toml: "[server]\nlisten = \"127.0.0.1:2525\"\nallowed_networks = [\"0.0.0.0/0\"]\n"},
		{name: "a /8 on a public listener is fine",
			toml: "[server]\nlisten = \"0.0.0.0:2525\"\nallowed_networks = [\"10.0.0.0/8\"]\n"},
		{name: "AUTH without TLS",
			toml:    "[[server.users]]\nname = \"mta\"\npassword_bcrypt = \"" + hash + "\"\n",
			wantErr: []string{"server.users: AUTH is only offered over TLS"}},
		{name: "TLS key readable by others",
			toml:    "[server]\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n",
			keyMode: 0o644, wantErr: []string{":3: server.tls_key: the private key file is readable", "0644"}},
		{name: "TLS key 0600",
			toml:    "[server]\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n",
			keyMode: 0o600},
		{name: "user hashes in a file readable by others",
			toml:    "[server]\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n[[server.users]]\nname = \"mta\"\npassword_bcrypt = \"" + hash + "\"\n",
			keyMode: 0o600, fileMode: 0o644,
			wantErr: []string{"server.users:", "readable by group or others (mode 0644)"}},
		{name: "upstream password in a file readable by group",
			toml:     "[upstream]\naddress = \"mx.example.co.jp:25\"\nstarttls = \"required\"\nusername = \"u\"\npassword = \"p\"\n",
			fileMode: 0o640,
			wantErr:  []string{"upstream.password:", "readable by group or others (mode 0640)"}},
		{name: "world-writable configuration",
			toml:     "[server]\nlisten = \"127.0.0.1:2525\"\n",
			fileMode: 0o666,
			wantErr:  []string{"writable by anyone (mode 0666)"}},
		{name: "admin on a public address",
			toml:      "[admin]\nlisten = \"0.0.0.0:9425\"\n",
			wantWarns: []string{":2: admin.listen: metrics and health are served without authentication"}},
		{name: "pprof on a public address",
			toml:      "[admin]\nlisten = \"192.0.2.1:9425\"\npprof = true\n",
			wantWarns: []string{"admin.pprof: Go profiles are served without authentication"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, _, err := cert.WriteFiles(dir); err != nil {
				t.Fatal(err)
			}
			if c.keyMode != 0 {
				if err := os.Chmod(filepath.Join(dir, "key.pem"), c.keyMode); err != nil {
					t.Fatal(err)
				}
			}
			content := c.toml
			if !strings.Contains(content, "[upstream]") {
				content += "[upstream]\naddress = \"capture:x\"\n"
			}
			p := filepath.Join(dir, "sendguard.toml")
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if c.fileMode != 0 {
				if err := os.Chmod(p, c.fileMode); err != nil {
					t.Fatal(err)
				}
			}
			f, err := Load(p)
			if len(c.wantErr) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
			} else {
				if err == nil {
					t.Fatalf("loaded; want an error with %q", c.wantErr)
				}
				for _, w := range c.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			warns := f.Warnings.Error()
			for _, w := range c.wantWarns {
				if !strings.Contains(warns, w) {
					t.Errorf("warnings %q lack %q", warns, w)
				}
			}
			if len(c.wantWarns) == 0 && len(f.Warnings) > 0 {
				t.Errorf("unexpected warnings: %v", warns)
			}
		})
	}
}

func TestStorePasswordInAReadableConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.toml")
	if err := os.WriteFile(p, []byte("[upstream]\naddress = \"capture:./c\"\n[store]\ndsn = \"postgres://sendguard:s3cret@db.example.co.jp/sendguard\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, 0o644)
	_, err := Load(p)
	if err == nil || !strings.Contains(err.Error(), "store.dsn:") || !strings.Contains(err.Error(), "a database password") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("err %v", err)
	}
	os.Chmod(p, 0o600)
	if _, err := Load(p); err != nil {
		t.Fatal(err)
	}
}
