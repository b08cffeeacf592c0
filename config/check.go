package config

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/sendguard/sendguard/policy"

	"golang.org/x/crypto/bcrypt"
)

// check validates the server-side sections; the policy sections are checked
// by policy.Compile.
func (f *File) check() Errors {
	var errs Errors
	add := func(key, format string, args ...any) {
		errs = append(errs, Error{File: f.Path, Line: f.line(key), Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	f.Warnings = nil
	f.checkExposure(add, func(key, format string, args ...any) {
		f.Warnings = append(f.Warnings, Error{File: f.Path, Line: f.line(key), Key: key, Msg: fmt.Sprintf(format, args...)})
	})
	f.checkMilter(add)
	f.checkHolding(add)
	s := f.Server
	if _, _, err := net.SplitHostPort(s.Listen); err != nil {
		add("server.listen", "not host:port: %q", s.Listen)
	}
	for i, n := range s.AllowedNetworks {
		if _, err := netip.ParsePrefix(n); err != nil {
			add("server.allowed_networks", "entry %d is not a network in CIDR form (e.g. 10.0.0.0/8): %q", i+1, n)
		}
	}
	if s.MaxMessageBytes < 0 {
		add("server.max_message_bytes", "must be positive")
	}
	for _, c := range []struct {
		key string
		v   int64
	}{
		{"max_connections", int64(s.MaxConnections)}, {"max_connections_allowed", int64(s.MaxConnectionsAllowed)},
		{"max_connections_per_ip", int64(s.MaxConnectionsPerIP)}, {"auth_failures_per_ip", int64(s.AuthFailuresPerIP)},
		{"pre_mail_timeout", int64(s.PreMailTimeout.Duration)}, {"auth_lockout", int64(s.AuthLockout.Duration)},
	} {
		if c.v < 0 {
			add("server."+c.key, "must not be negative")
		}
	}
	if s.MaxLineLength < 1000 {
		add("server.max_line_length", "must be at least 1000 (RFC 5321 section 4.5.3.1.6)")
	}
	if (s.TLSCert == "") != (s.TLSKey == "") {
		add("server.tls_cert", "tls_cert and tls_key go together")
	}
	for _, k := range []string{"tls_cert", "tls_key"} {
		p := s.TLSCert
		if k == "tls_key" {
			p = s.TLSKey
		}
		if p != "" {
			if _, err := os.Stat(f.resolve(p)); err != nil {
				add("server."+k, "%v", err)
			}
		}
	}
	if s.BareNewline != "reject" && s.BareNewline != "normalize" {
		add("server.bare_newline", "must be \"reject\" or \"normalize\", not %q", s.BareNewline)
	}
	if s.RequireTLS && s.TLSCert == "" {
		add("server.require_tls", "require_tls needs tls_cert and tls_key")
	}
	if len(s.Users) > 0 && s.TLSCert == "" {
		add("server.users", "AUTH is only offered over TLS: set tls_cert and tls_key")
	}
	seen := map[string]bool{}
	for i, u := range s.Users {
		key := fmt.Sprintf("server.users.%d", i)
		if u.Name == "" {
			add(key+".name", "user name is empty")
		}
		if seen[u.Name] {
			add(key+".name", "user %q appears twice", u.Name)
		}
		seen[u.Name] = true
		if _, err := bcrypt.Cost([]byte(u.PasswordBcrypt)); err != nil {
			add(key+".password_bcrypt", "not a bcrypt hash (make one with: sendguard passwd)")
		}
	}
	u := f.Upstream
	switch {
	case u.Address == "":
		add("upstream.address", "missing: host:port of the real MTA, or capture:DIR")
	case strings.HasPrefix(u.Address, "capture:"):
		if strings.TrimPrefix(u.Address, "capture:") == "" {
			add("upstream.address", "capture: needs a directory, e.g. capture:./captured")
		}
	default:
		if _, _, err := net.SplitHostPort(u.Address); err != nil {
			add("upstream.address", "not host:port or capture:DIR: %q", u.Address)
		}
	}
	switch u.StartTLS {
	case "off", "opportunistic", "required":
	default:
		add("upstream.starttls", "must be off, opportunistic or required, not %q", u.StartTLS)
	}
	if (u.Username == "") != (u.Password == "") {
		add("upstream.username", "username and password go together")
	}
	if u.Username != "" && u.StartTLS != "required" {
		add("upstream.username", "AUTH to the upstream needs starttls = \"required\" (passwords never travel in clear)")
	}
	if u.TLSCAFile != "" {
		if _, err := os.Stat(f.resolve(u.TLSCAFile)); err != nil {
			add("upstream.tls_ca_file", "%v", err)
		}
	}
	if f.Explain.RateLimit < 0 {
		add("explain.rate_limit", "must be positive")
	}
	if d := f.Incidents.BatchDelay.Duration; d >= 60*time.Minute {
		add("incidents.batch_delay", "must be well under 60 minutes (遵守事項 第2: report within 60 minutes); at most 5m is used")
	}
	for _, c := range f.Incidents.Contacts {
		if !strings.Contains(c, "@") {
			add("incidents.contacts", "not an address: %q", c)
		}
	}
	if len(f.Incidents.Contacts) > 0 && f.Incidents.From == "" && !strings.Contains(f.Explain.From, "@") {
		add("incidents.from", "incident notices need a sender: set incidents.from or explain.from")
	}
	names := map[string]bool{}
	for i, d := range f.Report.Departments {
		key := fmt.Sprintf("report.departments.%d", i)
		if d.Name == "" || names[d.Name] {
			add(key+".name", "department names must be given and unique (%q)", d.Name)
		}
		names[d.Name] = true
		for _, p := range d.Senders {
			if _, err := path.Match(strings.TrimPrefix(p, "@"), "x"); err != nil || p == "" {
				add(key+".senders", "not a sender pattern (user@x, *@x, @x or a domain): %q", p)
			}
		}
	}
	for _, r := range f.Report.IncidentRules {
		if !slices.Contains(policy.RuleIDs(), r) {
			add("report.incident_rules", "unknown rule id %q", r)
		}
	}
	switch f.Explain.Mode {
	case "reply":
	case "mail":
		if !strings.Contains(f.Explain.From, "@") {
			add("explain.from", "mode \"mail\" needs explain.from, a postmaster address the reports come from")
		}
	default:
		add("explain.mode", "must be reply or mail, not %q", f.Explain.Mode)
	}
	switch f.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level", "must be debug, info, warn or error, not %q", f.Log.Level)
	}
	switch f.Log.Format {
	case "json", "text":
	default:
		add("log.format", "must be json or text, not %q", f.Log.Format)
	}
	return errs
}

func (f *File) line(key string) int { return lineOf(f.Lines, key) }
