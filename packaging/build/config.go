package main

import (
	"bytes"
	"fmt"
)

// configHeader opens the packaged /etc/sendguard/sendguard.toml.
const configHeader = `# /etc/sendguard/sendguard.toml, installed by the sendguard package (a
# conffile: dpkg keeps your edits on upgrade). As installed it runs: it
# listens on 127.0.0.1:2525 and writes passed mail to
# /var/lib/sendguard/captured/ instead of relaying it.
# EDIT before use: [upstream] address (your real outbound MTA), [server]
# hostname and allowed_networks, [domains] and [explain] from. Then:
#   sendguard policy lint --config /etc/sendguard/sendguard.toml
#   systemctl enable --now sendguard     (reload after edits: systemctl reload sendguard)
# Port 25 or 587: see /usr/share/doc/sendguard/examples/port-25.conf.
# The full example with every key: /usr/share/doc/sendguard/examples/config.example.toml
#
`

// configRewrite replaces one line of config.example.toml: relative paths
// resolve against the configuration's directory, /etc/sendguard, which the
// unit keeps read-only, so the package points them at the state and spool
// directories instead.
type configRewrite struct {
	line     string // the setting in config.example.toml, at the start of a line (a comment may follow)
	with     string // the replacement for the whole line
	required bool   // a missing line is an error (the example changed: look again)
}

var configRewrites = []configRewrite{
	{
		line:     `address = "capture:./captured"`,
		with:     `address = "capture:/var/lib/sendguard/captured"   # EDIT: "host:port" of your real outbound MTA`,
		required: true,
	},
	{
		line:     `spool_dir = ""`,
		with:     `spool_dir = "/var/spool/sendguard"  # temp files for messages over spool_memory_bytes`,
		required: true,
	},
	{
		line:     `dsn = "sqlite:./sendguard.db"`,
		with:     `dsn = "sqlite:/var/lib/sendguard/sendguard.db"`,
		required: true,
	},
	{
		line:     `key_file = "web.key"`,
		with:     `key_file = "/var/lib/sendguard/web.key"     # signs the links; created (0600) when missing`,
		required: true,
	},
}

// packagedConfig is config.example.toml as the package installs it: the
// header above, and the rewrites applied. A required line that is missing
// or that appears more than once is an error, so that a change to the
// example cannot silently leave a path the service cannot write.
func packagedConfig(example []byte) ([]byte, error) {
	lines := bytes.SplitAfter(example, []byte("\n"))
	for _, rw := range configRewrites {
		found := 0
		for i, l := range lines {
			body := bytes.TrimRight(l, " \t\r\n")
			if !isSetting(body, rw.line) {
				continue
			}
			found++
			lines[i] = append([]byte(rw.with), l[len(body):]...)
		}
		switch {
		case found > 1:
			return nil, fmt.Errorf("line %q appears %d times, want once", rw.line, found)
		case found == 0 && rw.required:
			return nil, fmt.Errorf("line %q not found: config.example.toml changed, update packaging/build/config.go", rw.line)
		}
	}
	return append([]byte(configHeader), bytes.Join(lines, nil)...), nil
}

// isSetting reports whether line is setting, alone or followed by blanks
// and a comment.
func isSetting(line []byte, setting string) bool {
	rest, ok := bytes.CutPrefix(line, []byte(setting))
	if !ok {
		return false
	}
	rest = bytes.TrimLeft(rest, " \t")
	return len(rest) == 0 || rest[0] == '#'
}
