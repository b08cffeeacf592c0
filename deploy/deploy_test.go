// Package deploy holds the files an administrator installs: the systemd unit,
// its port-25 drop-in and the MTA set-up guides. Its test checks the unit.
package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// unitLines are the settings the package and the install guide rely on:
// the paths the package installs, the static user it creates, and the
// hardening that leaves only state and spool writable.
var unitLines = []string{
	"ExecStart=/usr/bin/sendguard serve --config /etc/sendguard/sendguard.toml",
	"ExecStartPre=/usr/bin/sendguard policy lint --config /etc/sendguard/sendguard.toml",
	"ExecReload=/bin/kill -HUP $MAINPID",
	"User=sendguard", "NoNewPrivileges=yes", "ProtectSystem=strict",
	"ReadWritePaths=/var/lib/sendguard /var/spool/sendguard",
	"WorkingDirectory=/var/lib/sendguard",
}

func TestUnitFile(t *testing.T) {
	unit := readFile(t, "sendguard.service")
	for _, want := range unitLines {
		if !hasLine(unit, want) {
			t.Errorf("unit file lacks the line %q", want)
		}
	}
	// No capability unless the port-25 drop-in is installed: the unit
	// resets both sets and grants nothing.
	for _, want := range []string{"CapabilityBoundingSet=", "AmbientCapabilities="} {
		if !hasLine(unit, want) {
			t.Errorf("unit file lacks the empty %q (no capability by default)", want)
		}
	}
	if strings.Contains(unit, "CAP_NET_BIND_SERVICE\n") || strings.Contains(unit, "DynamicUser=yes") {
		t.Errorf("unit grants CAP_NET_BIND_SERVICE or uses DynamicUser: the package's static user and the drop-in replace both")
	}
	dropIn := readFile(t, "port-25.conf")
	for _, want := range []string{"[Service]", "AmbientCapabilities=CAP_NET_BIND_SERVICE", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE"} {
		if !hasLine(dropIn, want) {
			t.Errorf("port-25.conf lacks the line %q", want)
		}
	}

	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("SENDGUARD_REQUIRE_TOOLS") == "1" {
			t.Fatal("systemd-analyze not installed (apt-get install systemd)")
		}
		t.Skip("systemd-analyze not installed (apt-get install systemd): only the unit's text was checked")
	}
	// systemd-analyze verify wants the binaries the unit names to exist;
	// the drop-in beside the unit is read with it.
	dir := t.TempDir()
	bin := filepath.Join(dir, "sendguard")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	unitPath := filepath.Join(dir, "sendguard.service")
	if err := os.WriteFile(unitPath, []byte(strings.ReplaceAll(unit, "/usr/bin/sendguard", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, withDropIn := range []bool{false, true} {
		if withDropIn {
			if err := os.Mkdir(unitPath+".d", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(unitPath+".d", "port-25.conf"), []byte(dropIn), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out, err := exec.Command(tool, "verify", unitPath).CombinedOutput()
		if err != nil {
			t.Errorf("systemd-analyze verify (drop-in %v): %v\n%s", withDropIn, err, out)
		}
		// An unknown or invalid setting is only a warning (exit 0) naming
		// the file: count it as a failure, the line would be ignored.
		if s := strings.TrimSpace(string(out)); strings.Contains(s, dir) {
			t.Errorf("systemd-analyze verify (drop-in %v) warns about the unit:\n%s", withDropIn, s)
		} else if s != "" {
			t.Logf("systemd-analyze verify (drop-in %v) said:\n%s", withDropIn, s)
		}
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// hasLine reports whether text holds line as a whole line.
func hasLine(text, line string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}
