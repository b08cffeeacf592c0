package policy

// The steps of Compile, in the order their issues are reported: domains
// and recipients, rules, limits, attachments, password trials
// (compilePassword, password.go), explanation templates and exempt types.
// Each step fills its part of the Policy and records the problems it finds
// in an issueList under the policy file's dotted key.

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/sendguard/sendguard/policy/encryption"
	"github.com/sendguard/sendguard/policy/explain"
	"github.com/sendguard/sendguard/policy/inspect"
)

// issueList collects the errors and warnings of one Compile, in order.
type issueList []Issue

// errorf records an error under key.
func (l *issueList) errorf(key, format string, args ...any) {
	*l = append(*l, Issue{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// warnf records a warning under key.
func (l *issueList) warnf(key, format string, args ...any) {
	*l = append(*l, Issue{Key: key, Msg: fmt.Sprintf(format, args...), Warning: true})
}

// positive reports whether the limit v is set (above 0); a negative v is
// an error under "limits."+key.
func (l *issueList) positive(key string, v int64) bool {
	if v < 0 {
		l.errorf("limits."+key, "must be positive")
		return false
	}
	return v > 0
}

// split returns the errors and the warnings, each in the order found.
func (l issueList) split() (errs, warns []Issue) {
	for _, is := range l {
		if is.Warning {
			warns = append(warns, is)
		} else {
			errs = append(errs, is)
		}
	}
	return errs, warns
}

// compileDomains checks the internal and verified domain names and builds
// the recipient and link classifiers and the exposed-list threshold.
func (p *Policy) compileDomains(cfg Config, is *issueList) {
	for i, d := range append(append([]string(nil), cfg.Domains.Internal...), cfg.Domains.Verified...) {
		if strings.TrimPrefix(d, "*.") == "" || strings.ContainsAny(d, "@ /") {
			key := "domains.internal"
			if i >= len(cfg.Domains.Internal) {
				key = "domains.verified"
			}
			is.errorf(key, "not a domain name: %q", d)
		}
	}
	if len(cfg.Domains.Internal) == 0 {
		is.warnf("domains.internal", "no internal domains: every recipient counts as external")
	}
	p.recipients, p.links = compileRecipients(cfg, is.errorf)
	p.exposedThreshold = cfg.Recipients.ExposedThreshold
	if p.exposedThreshold == 0 {
		p.exposedThreshold = 5
	}
}

// compileRules builds every known rule from its defaults and its [rules.ID]
// section, and reports sections for rule ids that do not exist.
func (p *Policy) compileRules(cfg map[string]RuleConfig, is *issueList) {
	for _, id := range RuleIDs() {
		p.rules[id] = compileRule(id, cfg, is)
	}
	var unknown []string
	for id := range cfg {
		if _, ok := ruleDefaults[id]; !ok {
			unknown = append(unknown, id)
		}
	}
	sort.Strings(unknown)
	for _, id := range unknown {
		is.errorf("rules."+id, "unknown rule id (known: %s)", strings.Join(RuleIDs(), ", "))
	}
}

// compileRule builds rule id: its defaults, overridden by its section in
// cfg when there is one.
func compileRule(id string, cfg map[string]RuleConfig, is *issueList) *rule {
	def := ruleDefaults[id]
	r := &rule{id: id, action: def.action, scope: def.scope, incident: def.incident}
	rc, set := cfg[id]
	if !set {
		return r
	}
	key := "rules." + id
	if rc.Incident != nil {
		r.incident = *rc.Incident
	}
	r.flagNotice = rc.FlagNotice
	if rc.Action != "" {
		a, err := ParseAction(rc.Action)
		switch {
		case err != nil:
			is.errorf(key+".action", "%v", err)
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
		is.errorf(key+".scope", "unknown scope %q (external or all)", rc.Scope)
	}
	for _, s := range rc.ExemptSenders {
		pat := strings.ToLower(strings.TrimSpace(s))
		switch {
		case pat == "*" || pat == "*@*" || pat == "@":
			is.warnf(key+".exempt_senders", "%q exempts every sender: the rule can never fire", s)
		case !strings.Contains(pat, "@"):
			is.errorf(key+".exempt_senders", "not an address or *@domain: %q", s)
		}
		r.exempt = append(r.exempt, strings.TrimPrefix(pat, "*"))
	}
	if !def.implemented && r.action != Pass {
		is.warnf(key, "rule %s is not implemented in this version: its settings are kept but it does not fire yet", id)
	}
	return r
}

// compileLimits sets the inspection and archive limits: the defaults,
// each replaced by its [limits] key when that is set.
func (p *Policy) compileLimits(l LimitsConfig, is *issueList) {
	p.inspect = inspect.DefaultLimits()
	p.encryption = encryption.DefaultLimits()
	if is.positive("max_mime_depth", int64(l.MaxMIMEDepth)) {
		p.inspect.MaxDepth = l.MaxMIMEDepth
	}
	if is.positive("max_parts", int64(l.MaxParts)) {
		p.inspect.MaxParts = l.MaxParts
	}
	if is.positive("max_attachment_bytes", l.MaxAttachmentBytes) {
		p.inspect.MaxPartBytes = l.MaxAttachmentBytes
	}
	if is.positive("max_archive_nesting", int64(l.MaxArchiveNesting)) {
		p.encryption.MaxNesting = l.MaxArchiveNesting
	}
	if is.positive("max_archive_entries", int64(l.MaxArchiveEntries)) {
		p.encryption.MaxEntries = l.MaxArchiveEntries
	}
	if is.positive("max_inflated_bytes", l.MaxInflatedBytes) {
		p.encryption.MaxBytes = l.MaxInflatedBytes
	}
}

// compileAttachments reads [attachments] (but exempt_types, see
// compileExemptTypes): inline images, spooling, how ZipCrypto counts and
// plain containers of protected files. It runs after compileLimits, whose
// inspection limits it extends.
func (p *Policy) compileAttachments(a AttachmentsConfig, is *issueList) {
	p.inspect.CountInlineImages = a.CountInlineImages
	p.inspect.SpoolDir = a.SpoolDir
	if is.positive("spool_memory_bytes", a.SpoolMemoryBytes) {
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
		is.errorf("attachments.zipcrypto", "must be accept, flag or reject, not %q", a.ZipCrypto)
	}
	p.plainContainers = a.AllowPlainContainerOfProtected
}

// compileTemplates builds the explanation catalog: the defaults with the
// [explain.templates] overrides applied, each problem under its template's
// key.
func (p *Policy) compileTemplates(o explain.Overrides, is *issueList) {
	p.catalog = explain.Default()
	for _, err := range append(p.catalog.Apply(o), p.catalog.Validate()...) {
		key := "explain.templates"
		var te *explain.TemplateError
		if errors.As(err, &te) {
			key = "explain.templates." + te.Rule + "." + te.Lang + "." + te.Part
		}
		is.errorf(key, "%v", err)
	}
}

var defaultExemptTypes = []string{
	"application/pkcs7-signature", "application/x-pkcs7-signature",
	"application/pgp-signature", "application/pgp-keys",
	"text/calendar", "application/ics", "text/vcard", "text/x-vcard", "text/directory",
}

// compileExemptTypes sets the content types that may be exempt from the
// encryption rule (defaultExemptTypes unless exempt_types is given); a
// type without a content check is never exempt.
func (p *Policy) compileExemptTypes(a AttachmentsConfig, is *issueList) {
	types := defaultExemptTypes
	if a.ExemptTypes != nil {
		types = a.ExemptTypes
	}
	p.exemptTypes = map[string]bool{}
	for _, t := range types {
		t = strings.ToLower(strings.TrimSpace(t))
		if !encryption.Exemptable(t) {
			is.warnf("attachments.exempt_types", "%q has no content check, so it is never exempt: such parts are judged as files", t)
			continue
		}
		p.exemptTypes[t] = true
	}
}
