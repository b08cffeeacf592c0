package config

import (
	"io/fs"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
)

// Widest allowed_networks entries accepted on a listener other than
// loopback: anything wider lets a large part of the Internet relay without
// AUTH (an open relay in all but name).
const (
	minIPv4Prefix = 8
	minIPv6Prefix = 16
)

// checkExposure finds settings that make an open relay or expose secrets:
// errors through add, warnings through warn.
func (f *File) checkExposure(add, warn func(key, format string, args ...any)) {
	s := f.Server
	if !isLoopbackListen(s.Listen) {
		for i, n := range s.AllowedNetworks {
			p, err := netip.ParsePrefix(n)
			if err != nil {
				continue // reported by check
			}
			if p.Addr().Is4() && p.Bits() < minIPv4Prefix || p.Addr().Is6() && !p.Addr().Is4In6() && p.Bits() < minIPv6Prefix {
				add("server.allowed_networks", "entry %d (%s) lets a large part of the Internet relay without AUTH on %s (an open relay): name the MTA hosts (e.g. 192.0.2.10/32), or listen on loopback", i+1, n, s.Listen)
			}
		}
	}
	if !isLoopbackListen(f.Admin.Listen) && f.Admin.Listen != "" {
		if f.Admin.Pprof {
			warn("admin.pprof", "Go profiles are served without authentication on %s, not a loopback address", f.Admin.Listen)
		} else {
			warn("admin.listen", "metrics and health are served without authentication on %s, not a loopback address", f.Admin.Listen)
		}
	}
	if f.Web.Listen != "" && !isLoopbackListen(f.Web.Listen) && s.TLSCert == "" {
		warn("web.listen", "the hold page is served over plain HTTP on %s, not a loopback address: its links carry tokens that release mail; set [server] tls_cert and tls_key (the page then serves HTTPS) or put it behind a TLS proxy", f.Web.Listen)
	}
	if p, ok := strings.CutPrefix(f.StoreDSN(), "sqlite:"); ok {
		if mode, ok := fileMode(p); ok && mode&0o077 != 0 {
			add("store.dsn", "the store file %s holds held messages and is readable or writable by group or others (mode %04o): chmod 600 it (and its -wal and -shm files)", p, mode)
		}
	}
	if mode, ok := fileMode(f.resolve(f.Web.KeyFile)); ok && mode&0o077 != 0 {
		add("web.key_file", "the key that signs the page's links is readable or writable by group or others (mode %04o): chmod 600 it", mode)
	}
	if s.TLSKey != "" {
		if mode, ok := fileMode(f.resolve(s.TLSKey)); ok && mode&0o077 != 0 {
			add("server.tls_key", "the private key file is readable or writable by group or others (mode %04o): chmod 600 it", mode)
		}
	}
	for _, file := range []struct {
		path, key string
		secrets   bool
	}{
		{f.Path, "", len(s.Users) > 0 || f.Upstream.Password != "" || dsnHasPassword(f.Store.DSN)},
		{f.PolicyPath, "policy.file", false},
	} {
		if file.path == "" || file.path == f.Path && file.key != "" {
			continue
		}
		mode, ok := fileMode(file.path)
		if !ok {
			continue
		}
		switch {
		case mode&0o002 != 0:
			add(file.key, "%s is writable by anyone (mode %04o): anybody on the host can change the policy; chmod o-w it", file.path, mode)
		case file.secrets && mode&0o044 != 0:
			key := "server.users"
			switch {
			case len(s.Users) > 0:
			case f.Upstream.Password != "":
				key = "upstream.password"
			default:
				key = "store.dsn"
			}
			add(key, "%s holds password hashes, an upstream password or a database password and is readable by group or others (mode %04o): chmod 600 it, owned by the user the service runs as", file.path, mode)
		}
	}
}

// fileMode is the permission bits of path; false when it cannot be read.
func fileMode(path string) (fs.FileMode, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, false
	}
	return st.Mode().Perm(), true
}

// isLoopbackListen reports whether a host:port listens on loopback only.
func isLoopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// dsnHasPassword reports a database DSN with a password in it.
func dsnHasPassword(dsn string) bool {
	u, err := url.Parse(dsn)
	if err != nil {
		return false
	}
	for _, k := range dsnPasswordParams {
		if u.Query().Get(k) != "" {
			return true
		}
	}
	if u.User == nil {
		return false
	}
	_, ok := u.User.Password()
	return ok
}
