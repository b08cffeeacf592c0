package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPackagedConfig: the repository's config.example.toml becomes a
// configuration whose writable paths are under /var/lib/sendguard and
// /var/spool/sendguard, keeping every other line.
func TestPackagedConfig(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", "..", "config.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	conf, err := packagedConfig(example)
	if err != nil {
		t.Fatal(err)
	}
	text := string(conf)
	for _, want := range []string{
		"\naddress = \"capture:/var/lib/sendguard/captured\"",
		"\nspool_dir = \"/var/spool/sendguard\"",
		"EDIT before use: [upstream] address",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("packaged configuration lacks %q", want)
		}
	}
	if strings.Contains(text, "\naddress = \"capture:./") {
		t.Error("packaged configuration still captures to a relative directory (resolved under read-only /etc/sendguard)")
	}
	if got, want := strings.Count(text, "\n"), strings.Count(string(example), "\n")+strings.Count(configHeader, "\n"); got != want {
		t.Errorf("packaged configuration has %d lines, want %d (the example's plus the header)", got, want)
	}
}

func TestPackagedConfigRewrites(t *testing.T) {
	for _, tc := range []struct {
		name, example string
		want          []string // lines the result holds
		wantErr       string
	}{
		{
			name:    "every setting, comments kept or replaced",
			example: "[server]\nspool_dir = \"\"   # temp\n[upstream]\naddress = \"capture:./captured\"\n[store]\ndsn = \"sqlite:./sendguard.db\"\n[web]\nkey_file = \"web.key\"\n",
			want:    []string{"spool_dir = \"/var/spool/sendguard\"  # temp files for messages over spool_memory_bytes", "address = \"capture:/var/lib/sendguard/captured\"   # EDIT: \"host:port\" of your real outbound MTA"},
		},
		{
			name:    "store and key paths",
			example: "spool_dir = \"\"\naddress = \"capture:./captured\"\n[store]\ndsn = \"sqlite:./sendguard.db\"\n[web]\nkey_file = \"web.key\"\n",
			want:    []string{"dsn = \"sqlite:/var/lib/sendguard/sendguard.db\"", "key_file = \"/var/lib/sendguard/web.key\"     # signs the links; created (0600) when missing"},
		},
		{
			name:    "capture directory renamed in the example",
			example: "spool_dir = \"\"\naddress = \"capture:./captured-mail\"\n",
			wantErr: `"address = \"capture:./captured\"" not found`,
		},
		{
			name:    "spool line missing",
			example: "address = \"capture:./captured\"\n",
			wantErr: `"spool_dir = \"\"" not found`,
		},
		{
			name:    "setting twice",
			example: "spool_dir = \"\"\naddress = \"capture:./captured\"\naddress = \"capture:./captured\"\n",
			wantErr: "appears 2 times",
		},
		{
			name:    "commented-out setting is not the setting",
			example: "# spool_dir = \"\"\naddress = \"capture:./captured\"\n",
			wantErr: `"spool_dir = \"\"" not found`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := packagedConfig([]byte(tc.example))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(got), "\n")
			for _, w := range tc.want {
				found := false
				for _, l := range lines {
					found = found || l == w
				}
				if !found {
					t.Errorf("result lacks the line %q:\n%s", w, got)
				}
			}
		})
	}
}
