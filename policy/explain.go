package policy

import (
	"log/slog"

	"github.com/sendguard/sendguard/policy/explain"
)

// ExplainInput is the finding as the explanation templates see it.
func (f Finding) ExplainInput(ref string) explain.Input {
	return explain.Input{Rule: f.Rule, Variant: f.Variant, Action: f.Action.String(), Evidence: f.Evidence, Detail: f.Data, Ref: ref}
}

// IsIncident reports whether findings of the rule are security incidents
// to be reported to the security contact (遵守事項 第2).
func (p *Policy) IsIncident(rule string) bool {
	r := p.rules[rule]
	return r != nil && r.incident
}

// IsIncidentFinding reports whether this finding is an incident: one of
// an incident rule, except a password check that was only cut short
// (nothing was shown to have leaked).
func (p *Policy) IsIncidentFinding(f Finding) bool {
	return p.IsIncident(f.Rule) && f.Variant != "incomplete"
}

// WantsFlagNotice reports whether the sender is told when the rule flags.
func (p *Policy) WantsFlagNotice(rule string) bool {
	r := p.rules[rule]
	return r != nil && r.flagNotice
}

// explain fills a finding's texts in Japanese and English from the
// policy's templates.
func (p *Policy) explain(f Finding) Finding {
	ja, en, err := p.catalog.Both(f.ExplainInput(""))
	if err != nil {
		// An override failed at render time: the shipped text was used.
		slog.Warn("explanation template failed; the shipped text was used", "rule", f.Rule, "error", err.Error())
	}
	f.Reason, f.Article, f.Remedy = en.Summary, en.Rule, en.Remedy
	f.ReasonJA, f.ArticleJA, f.RemedyJA = ja.Summary, ja.Rule, ja.Remedy
	return f
}

// ReplyLine is the finding's English one-liner for the SMTP reply:
// "[rule-id] what was wrong; how to fix it (ref REF)", printable ASCII,
// short enough for one reply line.
func (p *Policy) ReplyLine(f Finding, ref string) string {
	return p.catalog.ReplyLine(f.ExplainInput(ref))
}

// Catalog is the explanation catalog in force (shipped texts with the
// administrator's overrides).
func (p *Policy) Catalog() *explain.Catalog { return p.catalog }
