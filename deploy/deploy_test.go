// Package deploy holds the files an administrator installs: the systemd unit
// and the MTA set-up guides. Its test checks the unit file.
package deploy

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestUnitFile(t *testing.T) {
	data, err := os.ReadFile("sendguard.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(data)
	for _, want := range []string{
		"ExecStart=/usr/local/bin/sendguard serve --config /etc/sendguard/sendguard.toml",
		"AmbientCapabilities=CAP_NET_BIND_SERVICE", "NoNewPrivileges=yes", "ProtectSystem=strict",
		"DynamicUser=yes", "ExecReload=/bin/kill -HUP $MAINPID",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit file lacks %q", want)
		}
	}
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("SENDGUARD_REQUIRE_TOOLS") == "1" {
			t.Fatal("systemd-analyze not installed (apt-get install systemd)")
		}
		t.Skip("systemd-analyze not installed (apt-get install systemd): only the unit's text was checked")
	}
	// systemd-analyze verify wants the binaries the unit names to exist.
	dir := t.TempDir()
	unitPath := dir + "/sendguard.service"
	bin := dir + "/sendguard"
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(unitPath, []byte(strings.ReplaceAll(unit, "/usr/local/bin/sendguard", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "verify", unitPath).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Logf("systemd-analyze verify said:\n%s", s)
	}
}
