// Package policy turns the policy file into a compiled Policy and evaluates
// messages against it: the MIME walk (policy/inspect), the per-format checks
// (policy/encryption) and the recipient classes (policy/recipient) yield
// findings; each rule's configured action turns them into one Verdict.
// Nothing here knows about SMTP.
package policy

import (
	"context"
	"strings"

	"github.com/sendguard/sendguard/policy/encryption"
	"github.com/sendguard/sendguard/policy/explain"
	"github.com/sendguard/sendguard/policy/inspect"
	"github.com/sendguard/sendguard/policy/links"
	"github.com/sendguard/sendguard/policy/recipient"
)

// Policy is a compiled policy. It is immutable and safe for concurrent use.
type Policy struct {
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
	personal         personalData
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

// Compile checks cfg and builds a Policy. It returns the warnings, and a
// *CompileError holding every error when there are any. Its steps are in
// compile.go.
func Compile(cfg Config) (*Policy, []Issue, error) {
	var issues issueList
	p := &Policy{
		verified: recipient.NewSet(cfg.Domains.Verified),
		rules:    map[string]*rule{},
	}
	p.compileDomains(cfg, &issues)
	p.compileRules(cfg.Rules, &issues)
	p.compileLimits(cfg.Limits, &issues)
	p.compileAttachments(cfg.Attachments, &issues)
	p.password = compilePassword(cfg.Password, issues.errorf)
	p.personal = compilePersonalData(cfg.PersonalData, issues.errorf, issues.warnf)
	p.compileTemplates(cfg.ExplainTemplates, &issues)
	p.compileExemptTypes(cfg.Attachments, &issues)

	errs, warns := issues.split()
	if len(errs) > 0 {
		return nil, warns, &CompileError{Issues: errs}
	}
	return p, warns, nil
}

// IsInternal reports whether an address belongs to the organisation.
// An address whose local part hides a route to another mailbox
// ("b%evil.example@example.co.jp", see recipient.ParseRoute) is not.
func (p *Policy) IsInternal(addr string) bool {
	return p.recipients.IsInternal(addr)
}

// RecipientClass is a recipient with its domain's class, as a page or a
// notice shows it.
type RecipientClass struct {
	Address string
	// Class: internal, verified, unverified, lookalike, anonymous,
	// online-service.
	Class string
	// Resembles names the domain a lookalike imitates.
	Resembles string
}

// ClassifyRecipients classifies addresses the way the recipient rules do.
func (p *Policy) ClassifyRecipients(ctx context.Context, addrs []string) []RecipientClass {
	out := make([]RecipientClass, 0, len(addrs))
	for _, v := range p.recipients.Classify(ctx, addrs) {
		out = append(out, RecipientClass{Address: v.Address, Class: v.Class.String(), Resembles: v.Resembles})
	}
	return out
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
