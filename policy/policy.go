// Package policy turns the policy file into a compiled Policy and evaluates
// messages against it: the MIME walk (policy/inspect), the per-format checks
// (policy/encryption) and the recipient classes (policy/recipient) yield
// findings; each rule's configured action turns them into one Verdict.
// Nothing here knows about SMTP.
package policy

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/sendguard/sendguard/policy/encryption"
	"github.com/sendguard/sendguard/policy/explain"
	"github.com/sendguard/sendguard/policy/inspect"
	"github.com/sendguard/sendguard/policy/links"
	"github.com/sendguard/sendguard/policy/recipient"
)

// Policy is a compiled policy. It is immutable and safe for concurrent use.
type Policy struct {
	internal    *recipient.Set
	verified    *recipient.Set
	rules       map[string]*rule
	inspect     inspect.Limits
	encryption  encryption.Limits
	exemptTypes map[string]bool
	// zipCrypto is how a ZipCrypto-only protection counts: Pass (accept),
	// Flag, or Reject (not protected).
	zipCrypto        Action
	plainContainers  bool
	password         passwordTrials
	catalog          *explain.Catalog
	recipients       *recipient.Classifier
	links            *links.Classifier
	exposedThreshold int
}

type rule struct {
	id         string
	action     Action
	scope      Scope
	exempt     []string // lower-case patterns: "a@b", "*@b" or "@b"
	incident   bool
	flagNotice bool
}

// Issue is a problem in the policy file, named by its dotted key.
type Issue struct {
	Key     string
	Msg     string
	Warning bool // a warning does not stop the policy from loading
}

func (i Issue) String() string { return i.Key + ": " + i.Msg }

// CompileError is returned by Compile when the policy has errors.
type CompileError struct{ Issues []Issue }

func (e *CompileError) Error() string {
	var b strings.Builder
	for i, is := range e.Issues {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(is.String())
	}
	return b.String()
}

var defaultExemptTypes = []string{
	"application/pkcs7-signature", "application/x-pkcs7-signature",
	"application/pgp-signature", "application/pgp-keys",
	"text/calendar", "application/ics", "text/vcard", "text/x-vcard", "text/directory",
}

// Compile checks cfg and builds a Policy. It returns the warnings, and a
// *CompileError holding every error when there are any.
func Compile(cfg Config) (*Policy, []Issue, error) {
	var issues []Issue
	errorf := func(key, format string, args ...any) {
		issues = append(issues, Issue{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	warnf := func(key, format string, args ...any) {
		issues = append(issues, Issue{Key: key, Msg: fmt.Sprintf(format, args...), Warning: true})
	}

	p := &Policy{
		internal: recipient.NewSet(cfg.Domains.Internal),
		verified: recipient.NewSet(cfg.Domains.Verified),
		rules:    map[string]*rule{},
	}
	for i, d := range append(append([]string(nil), cfg.Domains.Internal...), cfg.Domains.Verified...) {
		if strings.TrimPrefix(d, "*.") == "" || strings.ContainsAny(d, "@ /") {
			key := "domains.internal"
			if i >= len(cfg.Domains.Internal) {
				key = "domains.verified"
			}
			errorf(key, "not a domain name: %q", d)
		}
	}
	if len(cfg.Domains.Internal) == 0 {
		warnf("domains.internal", "no internal domains: every recipient counts as external")
	}
	p.recipients, p.links = compileRecipients(cfg, errorf)
	p.exposedThreshold = cfg.Recipients.ExposedThreshold
	if p.exposedThreshold == 0 {
		p.exposedThreshold = 5
	}

	for _, id := range RuleIDs() {
		def := ruleDefaults[id]
		r := &rule{id: id, action: def.action, scope: def.scope, incident: def.incident}
		rc, set := cfg.Rules[id]
		key := "rules." + id
		if set {
			if rc.Incident != nil {
				r.incident = *rc.Incident
			}
			r.flagNotice = rc.FlagNotice
			if rc.Action != "" {
				a, err := ParseAction(rc.Action)
				switch {
				case err != nil:
					errorf(key+".action", "%v", err)
				case a == Hold:
					errorf(key+".action", "hold is not available in this version (pass, flag or reject)")
				default:
					r.action = a
				}
			}
			switch rc.Scope {
			case "":
			case "external":
				r.scope = ScopeExternal
			case "all":
				r.scope = ScopeAll
			default:
				errorf(key+".scope", "unknown scope %q (external or all)", rc.Scope)
			}
			for _, s := range rc.ExemptSenders {
				pat := strings.ToLower(strings.TrimSpace(s))
				switch {
				case pat == "*" || pat == "*@*" || pat == "@":
					warnf(key+".exempt_senders", "%q exempts every sender: the rule can never fire", s)
				case !strings.Contains(pat, "@"):
					errorf(key+".exempt_senders", "not an address or *@domain: %q", s)
				}
				r.exempt = append(r.exempt, strings.TrimPrefix(pat, "*"))
			}
			if !def.implemented && r.action != Pass {
				warnf(key, "rule %s is not implemented in this version: its settings are kept but it does not fire yet", id)
			}
		}
		p.rules[id] = r
	}
	var unknown []string
	for id := range cfg.Rules {
		if _, ok := ruleDefaults[id]; !ok {
			unknown = append(unknown, id)
		}
	}
	sort.Strings(unknown)
	for _, id := range unknown {
		errorf("rules."+id, "unknown rule id (known: %s)", strings.Join(RuleIDs(), ", "))
	}

	p.inspect = inspect.DefaultLimits()
	p.encryption = encryption.DefaultLimits()
	l := cfg.Limits
	positive := func(key string, v int64) bool {
		if v < 0 {
			errorf("limits."+key, "must be positive")
			return false
		}
		return v > 0
	}
	if positive("max_mime_depth", int64(l.MaxMIMEDepth)) {
		p.inspect.MaxDepth = l.MaxMIMEDepth
	}
	if positive("max_parts", int64(l.MaxParts)) {
		p.inspect.MaxParts = l.MaxParts
	}
	if positive("max_attachment_bytes", l.MaxAttachmentBytes) {
		p.inspect.MaxPartBytes = l.MaxAttachmentBytes
	}
	if positive("max_archive_nesting", int64(l.MaxArchiveNesting)) {
		p.encryption.MaxNesting = l.MaxArchiveNesting
	}
	if positive("max_archive_entries", int64(l.MaxArchiveEntries)) {
		p.encryption.MaxEntries = l.MaxArchiveEntries
	}
	if positive("max_inflated_bytes", l.MaxInflatedBytes) {
		p.encryption.MaxBytes = l.MaxInflatedBytes
	}
	a := cfg.Attachments
	p.inspect.CountInlineImages = a.CountInlineImages
	p.inspect.SpoolDir = a.SpoolDir
	if positive("spool_memory_bytes", a.SpoolMemoryBytes) {
		p.inspect.MemThreshold = a.SpoolMemoryBytes
	}
	switch a.ZipCrypto {
	case "", "accept":
		p.zipCrypto = Pass
	case "flag":
		p.zipCrypto = Flag
	case "reject":
		p.zipCrypto = Reject
	default:
		errorf("attachments.zipcrypto", "must be accept, flag or reject, not %q", a.ZipCrypto)
	}
	p.plainContainers = a.AllowPlainContainerOfProtected
	p.password = compilePassword(cfg.Password, errorf)
	p.catalog = explain.Default()
	for _, err := range append(p.catalog.Apply(cfg.ExplainTemplates), p.catalog.Validate()...) {
		key := "explain.templates"
		var te *explain.TemplateError
		if errors.As(err, &te) {
			key = "explain.templates." + te.Rule + "." + te.Lang + "." + te.Part
		}
		errorf(key, "%v", err)
	}
	types := defaultExemptTypes
	if a.ExemptTypes != nil {
		types = a.ExemptTypes
	}
	p.exemptTypes = map[string]bool{}
	for _, t := range types {
		t = strings.ToLower(strings.TrimSpace(t))
		if !encryption.Exemptable(t) {
			warnf("attachments.exempt_types", "%q has no content check, so it is never exempt: such parts are judged as files", t)
			continue
		}
		p.exemptTypes[t] = true
	}

	var errs []Issue
	var warns []Issue
	for _, is := range issues {
		if is.Warning {
			warns = append(warns, is)
		} else {
			errs = append(errs, is)
		}
	}
	if len(errs) > 0 {
		return nil, warns, &CompileError{Issues: errs}
	}
	return p, warns, nil
}

// IsInternal reports whether an address belongs to the organisation.
// An address whose local part hides a route to another mailbox
// ("b%evil.example@example.co.jp", see recipient.ParseRoute) is not.
func (p *Policy) IsInternal(addr string) bool {
	return !recipient.ParseRoute(addr).Hidden && p.internal.Contains(recipient.Domain(addr))
}

// applies reports whether rule r applies to a message from sender with the
// given recipients, and if not, why (for the audit log).
func (r *rule) applies(sender string, external bool) bool {
	if r.scope == ScopeExternal && !external {
		return false
	}
	s := strings.ToLower(strings.Trim(sender, "<> "))
	for _, pat := range r.exempt {
		if pat == s || (strings.HasPrefix(pat, "@") && strings.HasSuffix(s, pat)) {
			return false
		}
	}
	return true
}
