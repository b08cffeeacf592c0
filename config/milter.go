package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// maxSocketPath is the longest Unix socket path every system takes
// (sockaddr_un.sun_path is 104 bytes on the BSDs, 108 on Linux).
const maxSocketPath = 103

// Milter is the [milter] section: the listener for MTAs that call content
// filters during their own SMTP session (Postfix smtpd_milters). It shares
// the policy and [server] max_message_bytes, spool_dir, spool_memory_bytes and
// data_timeout with the smarthost listener.
type Milter struct {
	// Listen is "host:port", "unix:/path", or "" (the default) for no
	// milter listener.
	Listen string `toml:"listen"`
}

// checkMilter validates [milter]: an address the listener can open, and a
// warning when it is reachable from other hosts (the milter protocol has no
// authentication: anyone who reaches it can have messages judged).
func (f *File) checkMilter(add func(key, format string, args ...any)) {
	l := f.Milter.Listen
	if l == "" {
		return
	}
	if path, ok := strings.CutPrefix(l, "unix:"); ok {
		switch {
		case path == "":
			add("milter.listen", "unix: needs a socket path, e.g. unix:/var/spool/postfix/sendguard/milter.sock")
		case len(f.resolve(path)) > maxSocketPath:
			add("milter.listen", "the socket path is longer than a Unix socket address allows (%d bytes)", maxSocketPath)
		}
		return
	}
	host, port, err := net.SplitHostPort(l)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 || strings.ContainsAny(host, "@/") {
		add("milter.listen", "not host:port or unix:/path: %q (e.g. \"127.0.0.1:8891\"; Postfix's inet:PORT@HOST goes in main.cf)", l)
		return
	}
	if l == f.Server.Listen || (host == "" && strings.HasSuffix(f.Server.Listen, ":"+port)) {
		add("milter.listen", "the same address as server.listen (%s): the two listeners need their own", f.Server.Listen)
		return
	}
	if !isLoopbackListen(l) {
		f.Warnings = append(f.Warnings, Error{File: f.Path, Line: f.line("milter.listen"), Key: "milter.listen",
			Msg: fmt.Sprintf("the milter protocol has no authentication and %s is not a loopback address: allow only the MTA hosts to reach it (firewall)", l)})
	}
}
