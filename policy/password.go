package policy

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/sendguard/sendguard/policy/encryption"
	"github.com/sendguard/sendguard/policy/inspect"
	"github.com/sendguard/sendguard/policy/secret"
)

// PasswordConfig is the [password] section: how hard sendguard tries the
// candidate passwords found in a mail against its protected attachments.
type PasswordConfig struct {
	// Labels and ExemptPhrases extend the shipped Japanese and English
	// password labels and the "sent separately" phrases.
	Labels        []string `toml:"labels"`
	ExemptPhrases []string `toml:"exempt_phrases"`
	// MaxCandidates caps the candidates taken from one mail (default 2000).
	MaxCandidates int `toml:"max_candidates"`
	// MaxLabelledTrials caps the labelled candidates tried against a file
	// whose key derivation is expensive (7z, RAR, Office, WinZip AES;
	// default 50). Cheap formats (ZipCrypto, PDF RC4/AES-128) get every
	// candidate.
	MaxLabelledTrials int `toml:"max_labelled_trials"`
	// TimeBudget bounds the trials for one message (default "2s").
	TimeBudget string `toml:"time_budget"`
	// MaxUnlabelledTrials caps the other (ASCII) candidates tried against
	// a WinZip AES ZIP or an AES-256 PDF (a third of a millisecond each),
	// after the labelled and disguised ones (default 100).
	MaxUnlabelledTrials int `toml:"max_unlabelled_trials"`
	// Incomplete says what a check cut short by these limits is: "flag" (a
	// password-in-body finding that flags the message, the default) or
	// "unscannable" (attachment-unscannable, which rejects by default).
	// Never a silent pass.
	Incomplete string `toml:"incomplete"`
}

// passwordTrials is the compiled [password] section.
type passwordTrials struct {
	finder        *secret.Finder
	maxLabelled   int
	maxUnlabelled int
	budget        time.Duration
	// unscannable: an incomplete check is attachment-unscannable (else a
	// flagging password-in-body finding).
	unscannable bool
}

func compilePassword(c PasswordConfig, errorf func(key, format string, args ...any)) passwordTrials {
	t := passwordTrials{maxLabelled: 50, maxUnlabelled: 100, budget: 2 * time.Second}
	if c.MaxUnlabelledTrials < 0 {
		errorf("password.max_unlabelled_trials", "must be positive")
	} else if c.MaxUnlabelledTrials > 0 {
		t.maxUnlabelled = c.MaxUnlabelledTrials
	}
	switch c.Incomplete {
	case "", "flag":
	case "unscannable":
		t.unscannable = true
	default:
		errorf("password.incomplete", "must be \"flag\" or \"unscannable\", not %q (an incomplete check is never a silent pass)", c.Incomplete)
	}
	if c.MaxLabelledTrials < 0 {
		errorf("password.max_labelled_trials", "must be positive")
	} else if c.MaxLabelledTrials > 0 {
		t.maxLabelled = c.MaxLabelledTrials
	}
	if c.TimeBudget != "" {
		d, err := time.ParseDuration(c.TimeBudget)
		if err != nil || d <= 0 {
			errorf("password.time_budget", "not a positive duration (e.g. \"2s\"): %q", c.TimeBudget)
		} else {
			t.budget = d
		}
	}
	if c.MaxCandidates < 0 {
		errorf("password.max_candidates", "must be positive")
	}
	f, err := secret.New(secret.Config{ExtraLabels: c.Labels, ExemptPhrases: c.ExemptPhrases, MaxCandidates: c.MaxCandidates})
	if err != nil {
		errorf("password", "%v", err)
	}
	t.finder = f
	return t
}

// opener tries passwords on one protected attachment.
type opener struct {
	att   *inspect.Attachment
	check encryption.PasswordChecker // nil: protected, but no trial possible
}

// passwordFindings looks for the password of a protected attachment in the
// mail's own text. A trial that opens a file is proof; a labelled value
// ("パスワード：…") with a protected attachment present is a pattern
// finding even when no trial opened anything (it may open something else).
//
// It also returns the passwords it found (proved ones, and the values of
// stated ones) so that the caller can mask them wherever they appear.
func (p *Policy) passwordFindings(m *inspect.Message, mt *messageTexts, inspected map[*inspect.Attachment]*encryption.Inspection,
	openers []*opener, protected string, action Action, incomplete *rule) ([]Finding, []string) {
	texts := append([]secret.Prepared(nil), mt.prepared()...)
	for _, t := range zipComments(m, inspected) {
		texts = append(texts, secret.Prepare(t))
	}
	found := p.password.finder.FindPrepared(texts)

	var out []Finding
	var secrets []string
	for _, st := range found.Statements {
		if st.Candidate >= 0 && st.Candidate < len(found.Candidates) {
			c := found.Candidates[st.Candidate]
			secrets = append(secrets, c.Value, c.Raw)
		}
	}
	deadline := time.Now().Add(p.password.budget)
	priority, others := splitCandidates(found.Candidates)
	for _, o := range openers {
		plan := p.trialPlan(o, found.Candidates, priority, others)
		tried := 0
		proved := false
		for _, ci := range plan {
			c := found.Candidates[ci]
			if time.Now().After(deadline) {
				break
			}
			tried++
			if pw, ok := tryCandidate(o, c); ok {
				out = append(out, proofFinding(action, o.att, c, pw))
				secrets = append(secrets, c.Value, c.Raw, pw)
				proved = true
				break
			}
		}
		if proved {
			continue
		}
		// Not every candidate the mail holds was tried against this
		// file: say so, never pass it silently.
		total := p.plannedAll(o, found.Candidates, priority, others)
		if tried < len(plan) || len(plan) < total || found.Truncated {
			out = append(out, p.incompleteFinding(o.att, tried, total, found.Truncated, incomplete))
		}
	}
	for _, f := range out {
		if f.Variant == "proof" {
			return out, nonEmpty(secrets)
		}
	}
	if len(found.Statements) == 0 {
		return out, nonEmpty(secrets)
	}
	st := found.Statements[0]
	return append(out, patternFinding(action, st, protected)), nonEmpty(secrets)
}

// splitCandidates puts first the candidates worth trying early: labelled
// ones, values spelled out one character at a time, and values from places
// a person hides things (HTML comments and alt text, display names, ZIP
// comments, attached text files); the order within each group is kept.
// The groups are indexes into cands.
func splitCandidates(cands []secret.Candidate) (priority, others []int) {
	priority = make([]int, 0, len(cands))
	for i, c := range cands {
		switch {
		case c.Labelled || c.Spaced:
			priority = append(priority, i)
		case c.Kind == inspect.KindHTMLHidden || c.Kind == inspect.KindHeader || c.Kind == "zip-comment" || c.Kind == inspect.KindAttachment:
			priority = append(priority, i)
		default:
			others = append(others, i)
		}
	}
	return priority, others
}

// trialPlan is the candidates (indexes into cands) tried against o, in
// order, by its cost.
func (p *Policy) trialPlan(o *opener, cands []secret.Candidate, priority, others []int) []int {
	switch o.check.Cost() {
	case encryption.CostCheap:
		return append(priority[:len(priority):len(priority)], others...)
	case encryption.CostMedium:
		ascii := asciiCandidates(cands, others)
		return append(priority[:len(priority):len(priority)], ascii[:min(len(ascii), p.password.maxUnlabelled)]...)
	}
	return priority[:min(len(priority), p.password.maxLabelled)]
}

// plannedAll is how many candidates the plan would hold without its caps:
// every candidate for cheap files; for medium ones the priority and the
// ASCII ones (7-Zip and Info-ZIP cannot write a WinZip AES ZIP with a
// non-ASCII password); for expensive files the priority ones, whose other
// candidates are not tried by design.
func (p *Policy) plannedAll(o *opener, cands []secret.Candidate, priority, others []int) int {
	switch o.check.Cost() {
	case encryption.CostCheap:
		return len(priority) + len(others)
	case encryption.CostMedium:
		return len(priority) + len(asciiCandidates(cands, others))
	}
	return len(priority)
}

// asciiCandidates keeps the indexes of candidates written in ASCII.
func asciiCandidates(cands []secret.Candidate, idx []int) []int {
	out := make([]int, 0, len(idx))
	for _, i := range idx {
		v, ascii := cands[i].Value, true
		for k := 0; k < len(v) && ascii; k++ {
			ascii = v[k] < utf8.RuneSelf
		}
		if ascii {
			out = append(out, i)
		}
	}
	return out
}

// incompleteFinding reports a password check cut short (time budget,
// candidate caps): a flagging password-in-body finding, or, when the
// policy says so, attachment-unscannable.
func (p *Policy) incompleteFinding(a *inspect.Attachment, tried, total int, truncated bool, unscannable *rule) Finding {
	reason := fmt.Sprintf("the password check tried %d of %d candidates", tried, total)
	if truncated {
		reason += " (the mail holds more than the candidate limit)"
	}
	if p.password.unscannable && unscannable != nil {
		f := unscannableFinding(unscannable.action, displayName(a.Name, a.ContentType, a.Path), a.Path, reason)
		return f
	}
	return Finding{
		Rule:     RulePasswordInBody,
		Action:   Flag,
		Evidence: displayName(a.Name, a.ContentType, a.Path),
		Variant:  "incomplete",
		Data:     map[string]string{"Part": a.Path, "Tried": fmt.Sprint(tried), "Total": fmt.Sprint(total)},
		Detail:   fmt.Sprintf("proof=incomplete tried=%d total=%d truncated=%v part=%s", tried, total, truncated, a.Path),
	}
}

// nonEmpty drops empty strings and ones too short to be masked safely
// (replacing "a" everywhere would mangle the text, not protect anything).
func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if len([]rune(s)) >= 4 {
			out = append(out, s)
		}
	}
	return out
}

// tryCandidate tries the candidate as normalised and as written.
func tryCandidate(o *opener, c secret.Candidate) (string, bool) {
	for _, pw := range []string{c.Value, c.Raw} {
		if pw == "" {
			continue
		}
		if ok, err := o.check.Check(pw); err == nil && ok {
			return pw, true
		}
	}
	return "", false
}

func proofFinding(action Action, a *inspect.Attachment, c secret.Candidate, pw string) Finding {
	masked := secret.Mask(pw)
	spaced := ""
	if c.Spaced {
		spaced = "yes"
	}
	return Finding{
		Rule:     RulePasswordInBody,
		Action:   action,
		Evidence: displayName(a.Name, a.ContentType, a.Path),
		Variant:  "proof",
		Data:     map[string]string{"Part": a.Path, "Where": c.Kind, "Label": c.Label, "Masked": masked, "Spaced": spaced},
		Detail:   fmt.Sprintf("proof=trial where=%s masked=%s spaced=%v part=%s", c.Kind, masked, c.Spaced, a.Path),
	}
}

func patternFinding(action Action, st secret.Statement, protected string) Finding {
	return Finding{
		Rule:     RulePasswordInBody,
		Action:   action,
		Evidence: protected,
		Variant:  "pattern",
		Data:     map[string]string{"Where": st.Kind, "Label": st.Label},
		Detail:   fmt.Sprintf("proof=pattern where=%s label=%s line=%d", st.Kind, st.Label, st.Line),
	}
}

// zipComments returns the archive and entry comments of the protected or
// plain ZIP attachments (encryption.Inspection.Comments): text the
// recipient sees when opening the archive.
func zipComments(m *inspect.Message, inspected map[*inspect.Attachment]*encryption.Inspection) []secret.Text {
	var out []secret.Text
	for _, a := range m.Attachments {
		if in := inspected[a]; in != nil {
			if c := in.Comments(); c != "" {
				out = append(out, secret.Text{Path: a.Path, Kind: "zip-comment", Content: c})
			}
		}
	}
	return out
}
