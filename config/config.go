// Package config reads sendguard's TOML configuration file: the server, the
// upstream, logging and the policy sections, with the line of every key so that
// errors can name where they are.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/sendguard/sendguard/hold"
	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/policy/explain"
)

// File is the whole configuration file.
type File struct {
	Server   Server   `toml:"server"`
	Upstream Upstream `toml:"upstream"`
	Admin    Admin    `toml:"admin"`
	Explain  Explain  `toml:"explain"`
	Log      Log      `toml:"log"`
	Report   Report   `toml:"report"`
	// Incidents is where security incident notices go (遵守事項 第2).
	Incidents Incidents `toml:"incidents"`
	// Milter is the milter listener (off unless listen is set).
	Milter Milter `toml:"milter"`
	// Store, Hold and Web: held messages (sender confirmation, approval,
	// timed delay), where they are kept and the page that releases them.
	Store Store       `toml:"store"`
	Hold  hold.Config `toml:"hold"`
	Web   Web         `toml:"web"`
	// PolicyRef names a separate policy file; when set, the policy sections
	// ([domains], [rules.*], [limits], [attachments]) are read from it.
	PolicyRef PolicyRef `toml:"policy"`

	policy.Config

	// Path is the file this was read from; Dir its directory (relative paths
	// in the file are relative to it).
	Path string `toml:"-"`
	// Lines maps a dotted key ("rules.attachment-unencrypted.action") to its
	// line in Path, and PolicyLines likewise for the policy file.
	Lines       map[string]int `toml:"-"`
	PolicyPath  string         `toml:"-"`
	PolicyLines map[string]int `toml:"-"`
	// Warnings are problems that do not stop the file from loading (a
	// listener for metrics on a public address, …), with their lines.
	Warnings Errors `toml:"-"`
}

// PolicyRef is the [policy] section.
type PolicyRef struct {
	File string `toml:"file"`
}

// Server is the [server] section: the listener that the organisation's MTA
// relays to.
type Server struct {
	Listen          string   `toml:"listen"`
	Hostname        string   `toml:"hostname"`
	AllowedNetworks []string `toml:"allowed_networks"`
	MaxMessageBytes int64    `toml:"max_message_bytes"`
	MaxRecipients   int      `toml:"max_recipients"`
	// AllowQuotedLocalParts accepts quoted recipient local parts
	// ("a b"@example.co.jp) that hold no "@", "%" or "!"; recipients whose
	// local part routes on are refused whatever it says.
	AllowQuotedLocalParts bool `toml:"allow_quoted_local_parts"`
	// MaxLineLength is the longest line accepted in commands and DATA.
	// RFC 5321 says 1000, but real mail carries longer HTML and base64 lines.
	MaxLineLength int `toml:"max_line_length"`
	// BareNewline is "reject" (the default: a bare LF in DATA is refused,
	// 550 5.6.0) or "normalize" (Postfix 3.9's: a line ending in a bare LF
	// is taken as ending in CRLF; a bare CR is refused either way).
	BareNewline string `toml:"bare_newline"`
	// MaxConnections is the budget of clients outside allowed_networks;
	// MaxConnectionsAllowed that of clients inside them (the MTA), so
	// outsiders can never take the MTA's slots.
	MaxConnections        int      `toml:"max_connections"`
	MaxConnectionsAllowed int      `toml:"max_connections_allowed"`
	MaxConnectionsPerIP   int      `toml:"max_connections_per_ip"`
	CommandTimeout        Duration `toml:"command_timeout"`
	// PreMailTimeout: a client outside allowed_networks that has not
	// started a message this long after connecting is closed (421).
	PreMailTimeout Duration `toml:"pre_mail_timeout"`
	// AuthFailuresPerIP failed AUTH attempts within AuthLockout lock the
	// client's IP out for AuthLockout (across connections; 0 = never).
	AuthFailuresPerIP int      `toml:"auth_failures_per_ip"`
	AuthLockout       Duration `toml:"auth_lockout"`
	DataTimeout       Duration `toml:"data_timeout"`
	SpoolDir          string   `toml:"spool_dir"`
	SpoolMemoryBytes  int64    `toml:"spool_memory_bytes"`
	TLSCert           string   `toml:"tls_cert"`
	TLSKey            string   `toml:"tls_key"`
	RequireTLS        bool     `toml:"require_tls"`
	Users             []User   `toml:"users"`
	// GCPercent is the Go garbage collector's target (what GOGC sets) for
	// serve, unless the environment sets GOGC: the server allocates per
	// message and keeps little, so collecting less often saves CPU
	// (default 400; read at start).
	GCPercent int `toml:"gc_percent"`
	// MemoryLimitBytes is a soft limit on the Go runtime's memory (what
	// GOMEMLIMIT sets) unless the environment sets one: near it the
	// collector runs as often as needed whatever gc_percent says (default
	// 1 GiB, -1 for none; read at start).
	MemoryLimitBytes int64 `toml:"memory_limit_bytes"`
}

// User may authenticate with AUTH PLAIN or LOGIN over TLS.
type User struct {
	Name           string `toml:"name"`
	PasswordBcrypt string `toml:"password_bcrypt"`
}

// Upstream is the [upstream] section: where passed mail goes.
type Upstream struct {
	// Address is host:port of the real MTA, or "capture:DIR".
	Address        string   `toml:"address"`
	StartTLS       string   `toml:"starttls"` // off | opportunistic | required
	TLSServerName  string   `toml:"tls_server_name"`
	TLSCAFile      string   `toml:"tls_ca_file"`
	TLSSkipVerify  bool     `toml:"tls_skip_verify"`
	Username       string   `toml:"username"`
	Password       string   `toml:"password"`
	Helo           string   `toml:"helo"`
	ConnectTimeout Duration `toml:"connect_timeout"`
	CommandTimeout Duration `toml:"command_timeout"`
	DataTimeout    Duration `toml:"data_timeout"`
}

// Admin is the [admin] section.
type Admin struct {
	Listen string `toml:"listen"`
	// Pprof serves Go's profiles under /debug/pprof/ on the admin listener
	// (for measuring; they hold code locations and sizes, never mail).
	Pprof bool `toml:"pprof"`
}

// Explain is the [explain] section.
type Explain struct {
	Mode string `toml:"mode"` // reply | mail
	From string `toml:"from"`
	// RateLimit reports and notices per sender per RateWindow (default 10
	// per hour).
	RateLimit  int      `toml:"rate_limit"`
	RateWindow Duration `toml:"rate_window"`
	// Templates override the explanation texts: rule id → language (ja,
	// en) → part (summary, rule, remedy; reply in English) → Go
	// text/template, e.g. [explain.templates."attachment-unencrypted".ja].
	Templates explain.Overrides `toml:"templates"`
}

// Log is the [log] section.
type Log struct {
	Level  string `toml:"level"`  // debug | info | warn | error
	Format string `toml:"format"` // json | text
	// Audit is where the per-message audit lines go: "" or "stderr" for the
	// log stream, or a file path (appended).
	Audit string `toml:"audit"`
}

// Incidents is the [incidents] section.
type Incidents struct {
	// Contacts are the security contact's addresses; none = no notices.
	Contacts []string `toml:"contacts"`
	// From is the notices' sender (default: explain.from).
	From string `toml:"from"`
	// BatchDelay collects incidents for at most this long before a notice
	// goes out (default 0: at once; at most 5m; never 60m or more).
	BatchDelay Duration `toml:"batch_delay"`
}

// Report is the [report] section, read by `sendguard report`.
type Report struct {
	Departments []Department `toml:"departments"`
	// IncidentRules are the rules whose findings are listed one by one.
	// Default: password-in-body, recipient-domain-lookalike,
	// recipient-domain-anonymous.
	IncidentRules []string `toml:"incident_rules"`
}

// Department groups senders: "user@x", "*@x", "@x" or "x" (a domain); case
// is ignored.
type Department struct {
	Name    string   `toml:"name"`
	Senders []string `toml:"senders"`
}

// Duration is a time.Duration written as "30s", "5m".
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("not a duration (use e.g. \"30s\", \"5m\"): %q", b)
	}
	if v < 0 {
		return fmt.Errorf("duration must not be negative: %q", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Error is one problem in the file, with its place.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %s", e.Key)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	return b.String()
}

// Errors is every problem found; it is returned as one error.
type Errors []Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Defaults are applied to what the file leaves out.
func (f *File) applyDefaults() {
	s := &f.Server
	if s.Listen == "" {
		s.Listen = "127.0.0.1:2525"
	}
	if s.Hostname == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "sendguard.localdomain"
		}
		s.Hostname = h
	}
	if s.AllowedNetworks == nil {
		s.AllowedNetworks = []string{"127.0.0.0/8", "::1/128"}
	}
	if s.MaxMessageBytes == 0 {
		s.MaxMessageBytes = 50 << 20
	}
	if s.MaxRecipients == 0 {
		s.MaxRecipients = 500
	}
	if s.MaxLineLength == 0 {
		s.MaxLineLength = 64 << 10
	}
	if s.BareNewline == "" {
		s.BareNewline = "reject"
	}
	if s.MaxConnections == 0 {
		s.MaxConnections = 200
	}
	if s.MaxConnectionsAllowed == 0 {
		s.MaxConnectionsAllowed = 200
	}
	if s.MaxConnectionsPerIP == 0 {
		s.MaxConnectionsPerIP = 50
	}
	if s.PreMailTimeout.Duration == 0 {
		s.PreMailTimeout.Duration = 30 * time.Second
	}
	if s.AuthFailuresPerIP == 0 {
		s.AuthFailuresPerIP = 10
	}
	if s.AuthLockout.Duration == 0 {
		s.AuthLockout.Duration = 15 * time.Minute
	}
	if s.CommandTimeout.Duration == 0 {
		s.CommandTimeout.Duration = 5 * time.Minute
	}
	if s.DataTimeout.Duration == 0 {
		s.DataTimeout.Duration = 10 * time.Minute
	}
	if s.SpoolMemoryBytes == 0 {
		s.SpoolMemoryBytes = 1 << 20
	}
	if s.GCPercent == 0 {
		s.GCPercent = 400
	}
	if s.MemoryLimitBytes == 0 {
		s.MemoryLimitBytes = 1 << 30
	}
	u := &f.Upstream
	if u.StartTLS == "" {
		u.StartTLS = "off"
	}
	if u.Helo == "" {
		u.Helo = s.Hostname
	}
	if u.ConnectTimeout.Duration == 0 {
		u.ConnectTimeout.Duration = 30 * time.Second
	}
	if u.CommandTimeout.Duration == 0 {
		u.CommandTimeout.Duration = 5 * time.Minute
	}
	if u.DataTimeout.Duration == 0 {
		u.DataTimeout.Duration = 10 * time.Minute
	}
	if f.Admin.Listen == "" {
		f.Admin.Listen = "127.0.0.1:9425"
	}
	if f.Explain.Mode == "" {
		f.Explain.Mode = "reply"
	}
	if f.Log.Level == "" {
		f.Log.Level = "info"
	}
	if f.Log.Format == "" {
		f.Log.Format = "json"
	}
	f.holdingDefaults()
}

// Load reads and checks the file at path. On problems it returns Errors,
// each with the line and key it is about. The policy sections are not
// compiled here: call policy.Compile(f.Config, f.PolicyLines).
func Load(path string) (*File, error) {
	f, errs, err := load(path)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return f, nil
}

// Lint reads and checks the file at path and compiles its policy, and
// returns every problem it finds in one run (unknown keys, values of the
// wrong type, invalid settings, policy errors), not just the first.
func Lint(path string) (warnings, errs Errors, err error) {
	f, errs, err := load(path)
	if err != nil || f == nil {
		return nil, errs, err
	}
	warnings = f.Warnings
	_, pwarn, perr := f.CompilePolicy()
	warnings = append(warnings, pwarn...)
	var pe Errors
	switch {
	case errors.As(perr, &pe):
		errs = append(errs, pe...)
	case perr != nil:
		errs = append(errs, Error{File: f.PolicyPath, Msg: perr.Error()})
	}
	return warnings, errs, nil
}

// load reads the file and returns it with every problem found. The file is
// nil when its values could not be read (a syntax error, a value of the
// wrong type); err is set only when the file cannot be read at all.
func load(path string) (*File, Errors, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read config: %w", err)
	}
	f := &File{Path: path}
	lines, errs, ok := decode(path, data, f)
	if !ok {
		return nil, errs, nil
	}
	f.Lines = lines
	f.PolicyPath, f.PolicyLines = path, f.Lines
	if f.PolicyRef.File != "" {
		if !policySectionsEmpty(f.Lines) {
			return nil, append(errs, Error{File: path, Line: f.Lines["policy.file"], Key: "policy.file",
				Msg: "policy sections must be in one place: either in this file or in the named policy file"}), nil
		}
		pp := f.resolve(f.PolicyRef.File)
		pdata, err := os.ReadFile(pp)
		if err != nil {
			return nil, append(errs, Error{File: path, Line: f.Lines["policy.file"], Key: "policy.file", Msg: err.Error()}), nil
		}
		var pf struct{ policy.Config }
		plines, perrs, ok := decode(pp, pdata, &pf)
		errs = append(errs, perrs...)
		if !ok {
			return nil, errs, nil
		}
		f.Config = pf.Config
		f.PolicyPath, f.PolicyLines = pp, plines
	}
	f.applyDefaults()
	errs = append(errs, f.check()...)
	return f, errs, nil
}

// resolve makes a path in the file relative to the file's directory.
func (f *File) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(f.Path), p)
}

// Resolve makes a path written in the file relative to the file's directory.
func (f *File) Resolve(p string) string { return f.resolve(p) }

func policySectionsEmpty(lines map[string]int) bool {
	for k := range lines {
		top, _, _ := strings.Cut(k, ".")
		switch top {
		case "domains", "rules", "limits", "attachments":
			return false
		}
	}
	return true
}

// decode reads TOML into v and returns the key lines and every problem:
// unknown keys and values of the wrong type, each with line and key (see
// shapeErrors). ok is false when v could not be filled (a syntax error or a
// wrong type); unknown keys alone are reported but leave ok true, so the
// rest of the file can still be checked in the same run.
func decode(path string, data []byte, v any) (lines map[string]int, errs Errors, ok bool) {
	lines, perr := keyLines(data)
	if perr != nil {
		return nil, Errors{*perr.withFile(path)}, false
	}
	errs, typed := shapeErrors(path, data, v, lines)
	if !typed {
		return nil, errs, false
	}
	// Unknown keys are already reported; the decoder ignores them.
	if err := toml.NewDecoder(bytes.NewReader(data)).Decode(v); err != nil {
		var derr *toml.DecodeError
		if errors.As(err, &derr) {
			row, _ := derr.Position()
			return nil, append(errs, Error{File: path, Line: row, Key: strings.Join(derr.Key(), "."), Msg: derr.Error()}), false
		}
		return nil, append(errs, Error{File: path, Msg: err.Error()}), false
	}
	return lines, errs, true
}
