package policy

import (
	"archive/zip"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"

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
}

// passwordTrials is the compiled [password] section.
type passwordTrials struct {
	finder      *secret.Finder
	maxLabelled int
	budget      time.Duration
}

func compilePassword(c PasswordConfig, errorf func(key, format string, args ...any)) passwordTrials {
	t := passwordTrials{maxLabelled: 50, budget: 2 * time.Second}
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
	check func(pw string) (bool, error)
	cheap bool
}

// newOpener builds the password checker for a protected attachment (in is
// its inspection), or nil when its format has none (PGP, S/MIME) or it
// cannot be verified.
func newOpener(a *inspect.Attachment, in *encryption.Inspection, lim encryption.Limits) *opener {
	r, size, res := io.ReaderAt(a.Content), a.Size, in.Result
	o := &opener{att: a}
	switch res.Format {
	case encryption.FormatZIP:
		c, err := in.ZipPasswordChecker()
		if err != nil {
			return nil
		}
		o.check = func(pw string) (bool, error) { _, ok, err := c.Check(pw); return ok, err }
		o.cheap = !strings.Contains(res.Method, "AES") && !strings.Contains(res.Method, "strong")
	case encryption.FormatPDF:
		c, err := encryption.NewPDFPasswordChecker(r, size, lim)
		if err != nil {
			return nil
		}
		o.check = c.Check
		o.cheap = !strings.Contains(c.Method(), "256")
	case encryption.FormatCFB:
		c, err := encryption.NewOfficePasswordChecker(r, size, lim)
		if err != nil {
			return nil
		}
		o.check = c.Check
		o.cheap = strings.HasPrefix(c.Method(), "RC4") && !strings.Contains(c.Method(), "CryptoAPI")
	case encryption.Format7z:
		c, err := encryption.New7zPasswordChecker(r, size, lim)
		if err != nil {
			return nil
		}
		o.check = c.Check
	case encryption.FormatRAR:
		c, err := encryption.NewRARPasswordChecker(r, size, lim)
		if err != nil {
			return nil
		}
		o.check = c.Check
	default:
		return nil
	}
	return o
}

// passwordFindings looks for the password of a protected attachment in the
// mail's own text. A trial that opens a file is proof; a labelled value
// ("パスワード：…") with a protected attachment present is a pattern
// finding even when no trial opened anything (it may open something else).
//
// It also returns the passwords it found (proved ones, and the values of
// stated ones) so that the caller can mask them wherever they appear.
func (p *Policy) passwordFindings(m *inspect.Message, mt *messageTexts, inspected map[*inspect.Attachment]*encryption.Inspection,
	openers []*opener, protected string, action Action) ([]Finding, []string) {
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
	exhausted := false
	for _, o := range openers {
		labelled := 0
		for _, c := range found.Candidates {
			if time.Now().After(deadline) {
				exhausted = true
				break
			}
			if !c.Labelled && !o.cheap {
				continue
			}
			if c.Labelled {
				if labelled++; !o.cheap && labelled > p.password.maxLabelled {
					continue
				}
			}
			if pw, ok := tryCandidate(o, c); ok {
				out = append(out, proofFinding(action, o.att, c, pw))
				secrets = append(secrets, c.Value, c.Raw, pw)
				break
			}
		}
	}
	if len(out) > 0 || len(found.Statements) == 0 {
		return out, nonEmpty(secrets)
	}
	st := found.Statements[0]
	f := patternFinding(action, st, protected)
	if exhausted {
		f.Detail += " trials=budget-exhausted"
	}
	return []Finding{f}, nonEmpty(secrets)
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
		if ok, err := o.check(pw); err == nil && ok {
			return pw, true
		}
	}
	return "", false
}

func proofFinding(action Action, a *inspect.Attachment, c secret.Candidate, pw string) Finding {
	masked := secret.Mask(pw)
	return Finding{
		Rule:     RulePasswordInBody,
		Action:   action,
		Evidence: displayName(a.Name, a.ContentType, a.Path),
		Variant:  "proof",
		Data:     map[string]string{"Part": a.Path, "Where": c.Kind, "Label": c.Label, "Masked": masked},
		Detail:   fmt.Sprintf("proof=trial where=%s masked=%s part=%s", c.Kind, masked, a.Path),
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

// maxZipComment bounds the comment text taken from one archive.
const maxZipComment = 64 << 10

// zipComments returns the archive and entry comments of the ZIP
// attachments: text the recipient sees when opening the archive, where
// senders also write passwords. An attachment's directory is read again
// only when its inspection did not read it.
func zipComments(m *inspect.Message, inspected map[*inspect.Attachment]*encryption.Inspection) []secret.Text {
	var out []secret.Text
	for _, a := range m.Attachments {
		var zr *zip.Reader
		var err error
		if in := inspected[a]; in != nil {
			zr, err = in.ZipReader()
		} else {
			zr, err = zip.NewReader(a.Content, a.Size)
		}
		if err != nil {
			continue
		}
		var b strings.Builder
		b.WriteString(zr.Comment)
		for _, f := range zr.File {
			if b.Len() > maxZipComment {
				break
			}
			if f.Comment != "" {
				b.WriteString("\n" + f.Comment)
			}
		}
		if c := strings.TrimSpace(b.String()); c != "" {
			out = append(out, secret.Text{Path: a.Path, Kind: "zip-comment", Content: decodeComment(c)})
		}
	}
	return out
}

// decodeComment reads a ZIP comment: UTF-8 when valid, else Shift_JIS (what
// Japanese Windows tools write).
func decodeComment(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	if d, err := japanese.ShiftJIS.NewDecoder().String(s); err == nil {
		return d
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
