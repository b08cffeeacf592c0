package policy

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"slices"
	"strings"

	"github.com/sendguard/sendguard/policy/secret"
)

// Action is what happens to a message.
type Action int

// Actions in rising order of severity: a verdict takes the most severe action
// among its findings.
const (
	Pass Action = iota
	Flag
	// Hold waits for the sender to confirm the message.
	Hold
	// Approve waits for an approver to release it.
	Approve
	Reject
	// Tempfail means the policy could not decide for a reason that may pass
	// (e.g. an I/O error): the client is told to retry.
	Tempfail
)

var actionNames = [...]string{"pass", "flag", "hold", "approve", "reject", "tempfail"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", int(a))
}

// MarshalText writes the action's name (for JSON output).
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// ParseAction reads an action name as written in the policy file.
func ParseAction(s string) (Action, error) {
	for i, n := range actionNames[:Tempfail] {
		if strings.EqualFold(s, n) {
			return Action(i), nil
		}
	}
	return 0, fmt.Errorf("unknown action %q (pass, flag, hold, approve or reject)", s)
}

// Finding is one thing a rule found in a message. Text meant for the sender
// (the explanations) never holds body text or a password; Detail is for the
// log only and is kept free of both as well.
type Finding struct {
	Rule   string `json:"rule"`
	Action Action `json:"action"`
	// Evidence names what was found: a file name, a domain.
	Evidence string `json:"evidence"`
	// Variant and Data select and fill the explanation's wording (see
	// policy/explain): Data holds named values such as Part, Method,
	// Resembles or Masked (a masked password, never a clear one).
	Variant string            `json:"variant,omitempty"`
	Data    map[string]string `json:"data,omitempty"`
	// The explanation, filled from the policy's templates: what is wrong
	// (Reason), which article of the contract it breaks (Article) and how to
	// send the mail correctly (Remedy, one step a line), in English and in
	// Japanese.
	Reason    string `json:"reason"`
	Article   string `json:"article"`
	Remedy    string `json:"remedy"`
	ReasonJA  string `json:"reason_ja"`
	ArticleJA string `json:"article_ja"`
	RemedyJA  string `json:"remedy_ja"`
	// Detail is extra context for the audit log (format, method, part).
	Detail string `json:"detail,omitempty"`
}

// Attachment describes one attachment as the policy judged it; it goes into
// the audit log.
type Attachment struct {
	Path        string `json:"path"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Format      string `json:"format"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	Protected   bool   `json:"protected"`
	Method      string `json:"method,omitempty"`
	Unscannable string `json:"unscannable,omitempty"`
	Exempt      string `json:"exempt,omitempty"` // why it needs no encryption (signature, calendar…)
	// NotExempt says why a part labelled with an exempt type was judged as
	// a file all the same (its content is not what the label says).
	NotExempt string `json:"not_exempt,omitempty"`
}

// Verdict is the policy's decision on one message.
type Verdict struct {
	Action      Action       `json:"action"`
	Findings    []Finding    `json:"findings"`
	Attachments []Attachment `json:"attachments"`
	// Encrypted names whole-message encryption (S/MIME, PGP) when present.
	Encrypted string `json:"encrypted,omitempty"`
}

// Rules lists the distinct rule ids of the findings that decide the verdict
// (those whose action is the verdict's action, or flag when the verdict is a
// pass with flags), in first-seen order.
func (v *Verdict) Rules() []string {
	var ids []string
	seen := map[string]bool{}
	for _, f := range v.Findings {
		if f.Action == Pass || seen[f.Rule] {
			continue
		}
		seen[f.Rule] = true
		ids = append(ids, f.Rule)
	}
	return ids
}

// Deciding returns the findings whose action equals the verdict's action.
func (v *Verdict) Deciding() []Finding {
	var out []Finding
	for _, f := range v.Findings {
		if f.Action == v.Action {
			out = append(out, f)
		}
	}
	return out
}

// Refusal is a hold or approve verdict as the reject a path that cannot
// hold a message answers (milter mode, no store): each hold and approve
// finding becomes a reject one, so that Deciding (and the reply built from
// it) names every finding that stopped the message, a hold beside an
// approve too, worded for mail that was not sent. Any other verdict is
// returned as it is.
func (v *Verdict) Refusal() *Verdict {
	if v.Action != Hold && v.Action != Approve {
		return v
	}
	r := *v
	r.Action = Reject
	r.Findings = slices.Clone(v.Findings)
	for i := range r.Findings {
		if a := r.Findings[i].Action; a == Hold || a == Approve {
			r.Findings[i].Action = Reject
		}
	}
	return &r
}

func (v *Verdict) add(f Finding) {
	v.Findings = append(v.Findings, f)
	if f.Action > v.Action {
		v.Action = f.Action
	}
}

// NewRef returns a short random reference that ties a reply to its audit line.
func NewRef() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("policy: crypto/rand failed: %v", err))
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))[:12]
}

// scrub replaces every found password in the verdict's evidence, details and
// attachment names by its masked form: a password written into a file name
// must not reach the log or the sender's explanation in clear.
func (v *Verdict) scrub(secrets []string) {
	if len(secrets) == 0 {
		return
	}
	r := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		r = append(r, s, secret.Mask(s))
	}
	rep := strings.NewReplacer(r...)
	for i := range v.Findings {
		f := &v.Findings[i]
		f.Evidence, f.Detail = rep.Replace(f.Evidence), rep.Replace(f.Detail)
		for k, d := range f.Data {
			f.Data[k] = rep.Replace(d)
		}
	}
	for i := range v.Attachments {
		v.Attachments[i].Name = rep.Replace(v.Attachments[i].Name)
	}
}
