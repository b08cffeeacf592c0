package notify

import (
	"errors"
	"fmt"
	"time"

	"github.com/sendguard/sendguard/policy/explain"
)

// FlagNotice is what a flag notice is made from: the message went out, with
// findings the sender should follow up (an unverified domain, a link).
type FlagNotice struct {
	// From is the notice's author ([explain] from); FromName its display
	// name ("" means "sendguard").
	From, FromName string
	// Sender is the original envelope sender: the notice goes to it.
	Sender string
	// Recipients are the original envelope recipients.
	Recipients []string
	// Header is the original header section (for the subject and
	// Message-ID only; it is not attached). A whole message may be passed.
	Header []byte
	// Findings are the flag findings, rendered with Action "flag".
	Findings []Finding
	// Ref is the message's reference; Hostname sendguard's host name.
	Ref, Hostname string
	// Sent is when the message was relayed; Date when the notice is made
	// (zero: Sent).
	Sent, Date time.Time
	// RedactSubject leaves the original subject out (it holds a password).
	RedactSubject bool
}

// BuildFlagNotice writes a short bilingual notice (CRLF line ends) that the
// message was sent with a flag, why, and what to check. It is not a delivery
// status: multipart/alternative (text/plain and text/html, UTF-8) with
// Auto-Submitted: auto-generated and the ReportMarker field. Send it to
// n.Sender — only when ShouldReport says so — from the null reverse-path or
// the postmaster address.
func BuildFlagNotice(n FlagNotice) ([]byte, error) {
	var errs []error
	if err := checkAddress("from", n.From); err != nil {
		errs = append(errs, err)
	}
	if err := checkAddress("sender", n.Sender); err != nil {
		errs = append(errs, err)
	}
	if len(n.Findings) == 0 {
		errs = append(errs, errors.New("no findings"))
	}
	if err := checkHost(n.Hostname); err != nil {
		errs = append(errs, err)
	}
	if n.Sent.IsZero() {
		errs = append(errs, errors.New("sent time not set"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("notify: flag notice: %w", err)
	}
	if n.Date.IsZero() {
		n.Date = n.Sent
	}
	info := originalInfo(originalSection(n.Header, n.RedactSubject))
	top := senderMail{
		fromName: n.FromName, from: n.From, to: n.Sender, subject: FlagSubject,
		date: n.Date, kind: "flag", ref: n.Ref, hostname: n.Hostname,
		inReplyTo: info.messageID, autoSubmitted: "auto-generated",
	}.header()
	msg, err := writeNotice(top, n.Ref+"|"+n.Date.UTC().Format(time.RFC3339Nano)+"|flag", flagDocument(&n, info))
	if err != nil {
		return nil, fmt.Errorf("notify: flag notice: %w", err)
	}
	return msg, nil
}

// FlagNoticeText returns the text/plain body of the notice BuildFlagNotice
// writes for n (for `sendguard check`).
func FlagNoticeText(n FlagNotice) string {
	if n.Date.IsZero() {
		n.Date = n.Sent
	}
	return flagDocument(&n, originalInfo(originalSection(n.Header, n.RedactSubject))).plain()
}

func flagDocument(n *FlagNotice, info original) *document {
	ref := explain.CleanText(n.Ref, 64)
	jaFacts, enFacts := []fact{}, []fact{}
	if info.subject != "" {
		jaFacts = append(jaFacts, fact{"件名", info.subject})
		enFacts = append(enFacts, fact{"Subject", info.subject})
	}
	jaFacts = append(jaFacts,
		fact{"宛先", listAddresses(n.Recipients, 10, func(k int) string { return fmt.Sprintf(" ほか%d件", k) })},
		fact{"送信日時", timeJST(n.Sent)},
		fact{"参照番号", ref})
	enFacts = append(enFacts,
		fact{"To", listAddresses(n.Recipients, 10, func(k int) string { return fmt.Sprintf(" and %d more", k) })},
		fact{"Sent", timeJST(n.Sent) + " (" + timeUTC(n.Sent) + ")"},
		fact{"Reference", ref})
	ja := section{
		Lang:    "ja",
		Heading: "メールは送信されました（確認が必要です）",
		Intro: []string{
			"このメールは、送信メール検査システム（sendguard）からの自動通知です。",
			"あなたが送信したメールは宛先に送信されましたが、確認が必要な点が見つかったため記録されています。内容を確認し、必要な対応をしてください。",
		},
		Facts: jaFacts,
		Outro: []string{
			"宛先の誤りなどで情報が意図しない相手に送られた場合は、直ちに上長と情報セキュリティ担当に連絡してください（受託者向け情報セキュリティ遵守事項 第2：事案を認識した時点から60分以内に甲に連絡）。",
			"このメールに返信する必要はありません。",
		},
	}
	en := section{
		Lang:    "en",
		Heading: "Your message was sent, with a flag",
		Intro: []string{
			"This is an automatic notice from sendguard, the outbound mail checker.",
			"Your message was sent to its recipients, but something in it needs checking and it was recorded with a flag. Please check it and act as described below.",
		},
		Facts: enFacts,
		Outro: []string{
			"If information went to the wrong recipient, tell your manager and the security contact at once (Compliance Rules for Contractors, rule 2: the client must be told within 60 minutes of the incident becoming known).",
			"You need not reply to this mail.",
		},
	}
	addFindings(&ja, &en, n.Findings, ref, "確認と対応", "What to check")
	return &document{Title: FlagSubject, Sections: []section{ja, en}}
}
