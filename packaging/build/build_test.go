package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// requireTool finds a command the test needs, skipping (or, with
// SENDGUARD_REQUIRE_TOOLS=1 as in CI, failing) when it is not installed.
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("SENDGUARD_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s not installed (apt-get install %s)", name, pkg)
		}
		t.Skipf("%s not installed (apt-get install %s): the package was not built", name, pkg)
	}
	return path
}

// TestDebianPackage builds the package the way `go run ./packaging/build`
// does and reads it back with dpkg-deb: what an admin gets from dpkg -i.
// (.ci/package-test.sh installs, runs and purges it as root.)
func TestDebianPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: building the package (go build and nfpm) takes seconds")
	}
	dpkgDeb := requireTool(t, "dpkg-deb", "dpkg")
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var log bytes.Buffer
	deb, err := Build(ctx, Options{Root: root, Version: "1.2.3~test1", Arch: "amd64", OutDir: t.TempDir(), Log: &log})
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, log.Bytes())
	}
	if got, want := filepath.Base(deb), "sendguard_1.2.3~test1_amd64.deb"; got != want {
		t.Errorf("package file %s, want %s", got, want)
	}
	dpkg := func(t *testing.T, args ...string) string {
		t.Helper()
		out, err := exec.CommandContext(ctx, dpkgDeb, args...).Output()
		if err != nil {
			t.Fatalf("dpkg-deb %s: %v", strings.Join(args, " "), err)
		}
		return string(out)
	}

	t.Run("control", func(t *testing.T) {
		control := dpkg(t, "-f", deb)
		for _, want := range []string{"Package: sendguard\n", "Version: 1.2.3~test1\n", "Architecture: amd64\n", "Depends: adduser\n", "Section: mail\n"} {
			if !strings.Contains(control, want) {
				t.Errorf("control lacks %q:\n%s", want, control)
			}
		}
		if got := dpkg(t, "--info", deb, "conffiles"); got != "/etc/sendguard/sendguard.toml\n" {
			t.Errorf("conffiles = %q, want the configuration only", got)
		}
		postinst := dpkg(t, "--info", deb, "postinst")
		for _, want := range []string{"adduser --quiet --system $group --home /var/lib/sendguard", "chown sendguard:sendguard \"$dir\"", "chown root:sendguard \"$conf\""} {
			if !strings.Contains(postinst, want) {
				t.Errorf("postinst lacks %q", want)
			}
		}
	})

	t.Run("contents", func(t *testing.T) {
		// dpkg-deb -c: mode, owner, size, date, time, path.
		listing := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(dpkg(t, "--contents", deb)), "\n") {
			f := strings.Fields(line)
			if len(f) < 6 {
				t.Fatalf("unexpected dpkg-deb -c line %q", line)
			}
			listing[strings.TrimPrefix(strings.TrimSuffix(f[5], "/"), ".")] = f[0] + " " + f[1]
		}
		for path, want := range map[string]string{
			"/usr/bin/sendguard":                                    "-rwxr-xr-x root/root",
			"/etc/sendguard/sendguard.toml":                         "-rw-r----- root/root", // postinst: group sendguard
			"/usr/lib/systemd/system/sendguard.service":             "-rw-r--r-- root/root",
			"/var/lib/sendguard":                                    "drwxr-x--- root/root", // postinst: owner sendguard
			"/var/spool/sendguard":                                  "drwxr-x--- root/root",
			"/usr/share/doc/sendguard/README.md":                    "-rw-r--r-- root/root",
			"/usr/share/doc/sendguard/examples/port-25.conf":        "-rw-r--r-- root/root",
			"/usr/share/doc/sendguard/examples/config.example.toml": "-rw-r--r-- root/root",
		} {
			if got, ok := listing[path]; !ok {
				t.Errorf("package lacks %s", path)
			} else if got != want {
				t.Errorf("%s: %s, want %s", path, got, want)
			}
		}
	})

	t.Run("installed files work", func(t *testing.T) {
		dir := t.TempDir()
		dpkg(t, "--extract", deb, dir)
		unit, err := os.ReadFile(filepath.Join(dir, "usr/lib/systemd/system/sendguard.service"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(root, "deploy", "sendguard.service"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(unit, want) {
			t.Error("the packaged unit differs from deploy/sendguard.service")
		}
		// The unit's ExecStartPre on the packaged configuration.
		bin := filepath.Join(dir, "usr/bin/sendguard")
		conf := filepath.Join(dir, "etc/sendguard/sendguard.toml")
		out, err := exec.CommandContext(ctx, bin, "policy", "lint", "--config", conf).CombinedOutput()
		if err != nil {
			t.Errorf("packaged binary: policy lint of the packaged configuration: %v\n%s", err, out)
		}
		text, err := os.ReadFile(conf)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range []string{`(?m)^address = "capture:/var/lib/sendguard/captured"`, `(?m)^spool_dir = "/var/spool/sendguard"`, `(?m)^listen = "127\.0\.0\.1:2525"`} {
			if !regexp.MustCompile(re).Match(text) {
				t.Errorf("packaged configuration does not match %s", re)
			}
		}
	})
}
