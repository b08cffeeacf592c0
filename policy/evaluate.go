package policy

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/sendguard/sendguard/policy/encryption"
	"github.com/sendguard/sendguard/policy/inspect"
	"github.com/sendguard/sendguard/policy/secret"
)

// Envelope is the SMTP envelope of a message.
type Envelope struct {
	From     string   `json:"from"`
	To       []string `json:"to"`
	AuthUser string   `json:"auth_user"`
}

// Evaluate inspects the message (size bytes read through msg) and returns the
// verdict. An error means the message could not be read at all (I/O, temp
// files): the caller should answer with a temporary failure. Malformed or
// hostile content is never an error: it is a finding.
func (p *Policy) Evaluate(ctx context.Context, env Envelope, msg io.ReaderAt, size int64) (*Verdict, error) {
	// With no recipient known (a dry run of a bare file), judge the message
	// as if it left the organisation.
	external := len(env.To) == 0
	for _, to := range env.To {
		if !p.IsInternal(to) {
			external = true
			break
		}
	}
	applies := func(id string) *rule {
		r := p.rules[id]
		if r == nil || !r.applies(env.From, external) {
			return nil
		}
		return r
	}

	m, err := inspect.Walk(io.NewSectionReader(msg, 0, size), p.inspect)
	if err != nil {
		return nil, fmt.Errorf("walk message: %w", err)
	}
	defer m.Close()

	v := &Verdict{Encrypted: m.Encrypted}
	texts := &messageTexts{m: m}
	// inspected keeps each attachment's inspection: the password checker
	// and the ZIP comments reuse the directory it parsed.
	inspected := map[*inspect.Attachment]*encryption.Inspection{}
	unencrypted := applies(RuleAttachmentUnencrypted)
	unscannable := applies(RuleAttachmentUnscannable)
	pwRule := applies(RulePasswordInBody)
	var openers []*opener

	// A problem in an attachment's own part makes that attachment
	// unscannable (named by its file name); any other problem makes the
	// message unscannable.
	partProblem := map[string]string{}
	named := map[string]bool{}
	for _, a := range m.Attachments {
		named[a.Path] = true
	}
	for _, pr := range m.Problems {
		if named[pr.Path] {
			if _, seen := partProblem[pr.Path]; !seen {
				partProblem[pr.Path] = pr.Reason
			}
			continue
		}
		if unscannable != nil {
			v.add(unscannableFinding(unscannable.action, "", pr.Path, pr.Reason))
		}
	}
	for _, a := range m.Attachments {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
		rep := Attachment{
			Path: a.Path, Name: a.Name, ContentType: a.ContentType,
			Size: a.Size, SHA256: a.SHA256,
		}
		// An exempt type counts only when the bytes are what it says;
		// otherwise the part is judged as the file it is.
		declared := ""
		if p.exemptTypes[a.ContentType] {
			if reason := encryption.CheckExempt(a.ContentType, a.Content, a.Size); reason == "" {
				rep.Exempt = a.ContentType
				v.Attachments = append(v.Attachments, rep)
				continue
			} else {
				declared = a.ContentType
				rep.NotExempt = reason
			}
		}
		if reason, bad := partProblem[a.Path]; bad {
			rep.Unscannable = reason
			v.Attachments = append(v.Attachments, rep)
			if unscannable != nil {
				v.add(unscannableFinding(unscannable.action, a.Name, a.Path, reason))
			}
			continue
		}
		in := encryption.InspectFile(a.Content, a.Size, p.encryption)
		inspected[a] = in
		res := in.Result
		rep.Format = string(res.Format)
		rep.Protected = res.Protected
		rep.Method = res.Method
		rep.Unscannable = res.Unscannable
		v.Attachments = append(v.Attachments, rep)
		if f, ok := p.judge(a, res, unencrypted, unscannable); ok {
			if declared != "" {
				f.Data["Declared"] = declared
				f.Detail += " declared=" + declared + " (" + rep.NotExempt + ")"
			}
			v.add(f)
		}
		if res.Protected && pwRule != nil {
			// A checker may be nil (PGP, S/MIME): no trial, but a stated
			// password still counts.
			openers = append(openers, &opener{att: a, check: in.PasswordChecker()})
		}
	}
	if len(openers) > 0 {
		var tryable []*opener
		for _, o := range openers {
			if o.check != nil {
				tryable = append(tryable, o)
			}
		}
		protected := displayName(openers[0].att.Name, openers[0].att.ContentType, openers[0].att.Path)
		findings, secrets := p.passwordFindings(m, texts, inspected, tryable, protected, pwRule.action, unscannable)
		for _, f := range findings {
			v.add(f)
		}
		v.scrub(secrets)
	}
	for _, f := range p.recipientFindings(ctx, env, m, texts, applies) {
		v.add(f)
	}
	if r := applies(RulePersonalData); r != nil && (r.action != Pass || len(p.personal.actions) > 0) {
		for _, f := range p.personalFindings(m, texts, r) {
			v.add(f)
		}
	}
	for i, f := range v.Findings {
		v.Findings[i] = p.explain(f)
	}
	return v, nil
}

// judge turns one attachment's inspection result into a finding, if any.
func (p *Policy) judge(a *inspect.Attachment, res encryption.Result, unencrypted, unscannable *rule) (Finding, bool) {
	switch {
	case res.Unscannable != "":
		if unscannable == nil {
			return Finding{}, false
		}
		return unscannableFinding(unscannable.action, a.Name, a.Path, res.Unscannable), true
	case res.Protected:
		if unencrypted == nil || p.zipCrypto == Pass || !res.UsesZipCrypto() {
			return Finding{}, false
		}
		return zipCryptoFinding(min(p.zipCrypto, unencrypted.action), a), true
	case p.plainContainers && res.PlainContainerOfProtected():
		return Finding{}, false
	case unencrypted == nil:
		return Finding{}, false
	}
	return unencryptedFinding(unencrypted.action, a, res), true
}

// displayName names an attachment for the sender: its file name, or its type
// and MIME part when it has none.
func displayName(name, contentType, path string) string {
	if name != "" {
		return name
	}
	if contentType == "" {
		contentType = "unnamed"
	}
	return fmt.Sprintf("(%s, part %s)", contentType, path)
}

func unencryptedFinding(action Action, a *inspect.Attachment, res encryption.Result) Finding {
	f := Finding{
		Rule:     RuleAttachmentUnencrypted,
		Action:   action,
		Evidence: displayName(a.Name, a.ContentType, a.Path),
		Data:     map[string]string{"Part": a.Path, "Format": formatName(res.Format)},
		Detail:   "format=" + formatName(res.Format) + " part=" + a.Path,
	}
	switch {
	case len(res.Nested) > 0 && res.PlainContainerOfProtected():
		f.Variant = "plain-container"
	case len(res.PlainEntries) > 0:
		f.Variant = "archive-entries"
		entries := res.PlainEntries
		if len(entries) > 3 {
			f.Data["More"] = fmt.Sprint(len(entries) - 3)
			entries = entries[:3]
		}
		f.Data["Entries"] = strings.Join(entries, ", ")
	}
	return f
}

func zipCryptoFinding(action Action, a *inspect.Attachment) Finding {
	return Finding{
		Rule:     RuleAttachmentUnencrypted,
		Action:   action,
		Evidence: displayName(a.Name, a.ContentType, a.Path),
		Variant:  "zipcrypto",
		Data:     map[string]string{"Part": a.Path, "Method": "ZipCrypto"},
		Detail:   "method=ZipCrypto part=" + a.Path,
	}
}

func unscannableFinding(action Action, name, path, reason string) Finding {
	if name == "" {
		evidence := "part " + path
		if path == "" {
			evidence = "message"
		}
		return Finding{
			Rule:     RuleAttachmentUnscannable,
			Action:   action,
			Evidence: evidence,
			Variant:  "message",
			Data:     map[string]string{"Part": path, "Reason": reason},
			Detail:   "part=" + path + " reason=" + reason,
		}
	}
	return Finding{
		Rule:     RuleAttachmentUnscannable,
		Action:   action,
		Evidence: name,
		Data:     map[string]string{"Part": path, "Reason": reason},
		Detail:   "part=" + path + " reason=" + reason,
	}
}

func formatName(f encryption.Format) string {
	if f == encryption.FormatUnknown {
		return "unknown"
	}
	return string(f)
}

// messageTexts are a message's texts, normalised once (on first use) for
// both the password scan and the link rules.
type messageTexts struct {
	m    *inspect.Message
	prep []secret.Prepared
	norm []string // nfkc's result, kept for the next rule that asks
}

// prepared returns the texts prepared for the password scan.
func (mt *messageTexts) prepared() []secret.Prepared {
	if mt.prep == nil {
		mt.prep = make([]secret.Prepared, 0, len(mt.m.Texts))
		for _, t := range mt.m.Texts {
			mt.prep = append(mt.prep, secret.Prepare(secret.Text{Path: t.Path, Kind: t.Kind, Content: t.Content}))
		}
	}
	return mt.prep
}

// nfkc returns the texts in NFKC form, for the link and personal-data
// rules; it is computed once (a text that cleaning changed, e.g. one with
// CR, is normalised anew by Prepared.NFKC).
func (mt *messageTexts) nfkc() []string {
	if mt.norm != nil {
		return mt.norm
	}
	out := make([]string, 0, len(mt.m.Texts))
	for _, t := range mt.prepared() {
		out = append(out, t.NFKC())
	}
	mt.norm = out
	return out
}
