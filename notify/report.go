// Package notify writes the mails sendguard sends itself: the bilingual
// report that tells a blocked sender what was wrong and how to send the mail
// correctly (an RFC 3464 delivery status notification), the short notice
// that a message went out flagged, and the security incident notice to the
// organisation's security contact (受託者向け情報セキュリティ遵守事項 第2:
// report within 60 minutes). It also decides when not to write to a sender
// (null sender, automatic mail: no loops, no backscatter) and limits how
// often one sender is written to.
//
// Nothing here ever carries the original message's body or attachments, or
// a password: reports carry the original header section only, and texts are
// made from findings (file names, domains, masked passwords).
//
// This package builds messages; sending them is the caller's: Incidents
// calls an injected Send function, and BuildReport and BuildFlagNotice
// return bytes.
package notify

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sendguard/sendguard/policy/explain"
)

// Finding is one finding as the sender reads it.
type Finding struct {
	// Rule is the rule id.
	Rule string
	// JA and EN are the explanation in Japanese and English.
	JA, EN explain.Text
	// Reply is the finding's SMTP reply line without the codes,
	// "[rule-id] … (ref REF)" (explain.Catalog.ReplyLine). It becomes the
	// Diagnostic-Code of the delivery status.
	Reply string
	// Recipients optionally names the recipients the finding is about (a
	// lookalike domain); their Diagnostic-Code names this finding.
	Recipients []string
}

// NewFinding renders a finding with the catalog. The error reports a
// template that failed and was replaced by the shipped text (log it); the
// Finding is usable either way.
func NewFinding(c *explain.Catalog, in explain.Input) (Finding, error) {
	ja, en, err := c.Both(in)
	return Finding{Rule: in.Rule, JA: ja, EN: en, Reply: c.ReplyLine(in)}, err
}

// MaxOriginalHeader bounds the original header section a report returns
// (text/rfc822-headers); it is cut at a field boundary.
const MaxOriginalHeader = 64 << 10

// Report is what a report mail is made from.
type Report struct {
	// From is the report's author, a postmaster address ([explain] from).
	From string
	// FromName is the From display name; "" means "sendguard".
	FromName string
	// Sender is the original envelope sender: the report goes to it.
	Sender string
	// Recipients are the original envelope recipients; each gets a
	// per-recipient block in the delivery status.
	Recipients []string
	// Header is the original message's header section. A whole message may
	// be passed: everything from the first empty line on is ignored.
	Header []byte
	// Findings are the findings that stopped the message, in order.
	Findings []Finding
	// Ref is the message's reference (audit log, SMTP reply).
	Ref string
	// ReportingMTA is sendguard's host name ([server] hostname).
	ReportingMTA string
	// Arrival is when the message arrived; Date when the report is made
	// (zero: Arrival).
	Arrival, Date time.Time
	// EnvelopeID is the original ENVID (rfc/3461), if any.
	EnvelopeID string
	// RedactSubject replaces the original Subject, in the text and in the
	// returned header section, by RedactedSubject: set it when a finding
	// says the subject holds a password (password-in-body, Where
	// "subject").
	RedactSubject bool
}

// Subjects of the mails, Japanese first. They say what happened: a report
// is about a message that was refused and not sent (未送信), not one held
// for someone's approval (送信保留: it would go out once approved).
const (
	ReportSubject = "【未送信】メールは送信されませんでした / Your message was not sent"
	FlagSubject   = "【送信済み・要確認】メールは送信されました / Your message was sent with a flag"
)

// ReportMarker is the header field every report and notice carries (with the
// reference as its value); ShouldReport never answers a message that has it.
const ReportMarker = "X-Sendguard-Report"

func (r *Report) check() error {
	var errs []error
	if err := checkAddress("from", r.From); err != nil {
		errs = append(errs, err)
	}
	if err := checkAddress("sender", r.Sender); err != nil {
		errs = append(errs, err)
	}
	if len(r.Recipients) == 0 {
		errs = append(errs, errors.New("no recipients: a delivery status needs at least one"))
	}
	for _, rc := range r.Recipients {
		if err := checkAddress("recipient", rc); err != nil {
			errs = append(errs, err)
		}
	}
	if len(r.Findings) == 0 {
		errs = append(errs, errors.New("no findings to report"))
	}
	if err := checkHost(r.ReportingMTA); err != nil {
		errs = append(errs, err)
	}
	if r.Arrival.IsZero() {
		errs = append(errs, errors.New("arrival time not set"))
	}
	return errors.Join(errs...)
}

// BuildReport writes the report mail (CRLF line ends) that tells the sender
// their message was not sent, why, and how to send it correctly:
//
//	multipart/report; report-type=delivery-status   (rfc/3464, rfc/6522)
//	  multipart/alternative
//	    text/plain; charset=utf-8   Japanese, then English
//	    text/html; charset=utf-8    the same words
//	  message/delivery-status       Action: failed, Status: 5.7.1 per recipient
//	  text/rfc822-headers           the original header section, never the body
//
// It carries Auto-Submitted: auto-replied (rfc/3834) and the ReportMarker
// field. Send it with the null reverse-path, MAIL FROM:<> (rfc/5321 section
// 4.5.5), to r.Sender — and only when ShouldReport says so.
func BuildReport(r Report) ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("notify: report: %w", err)
	}
	if r.Date.IsZero() {
		r.Date = r.Arrival
	}
	orig := r.original()
	info := originalInfo(orig)
	doc := reportDocument(&r, info)
	seed := r.Ref + "|" + r.Date.UTC().Format(time.RFC3339Nano)

	text := alternative(seed, doc.plain(), doc.html())
	dsn := deliveryStatus(&r)
	hdrPart := originalHeaderPart(orig)
	bnd := boundary(seed+"|report", text.body, dsn.body, hdrPart.body)

	h := senderMail{
		fromName: r.FromName, from: r.From, to: r.Sender, subject: ReportSubject,
		date: r.Date, kind: "report", ref: r.Ref, hostname: r.ReportingMTA,
		inReplyTo: info.messageID, autoSubmitted: "auto-replied",
	}.header()
	h.add("Content-Type", `multipart/report; report-type=delivery-status; boundary="`+bnd+`"`)

	var b bytes.Buffer
	h.writeTo(&b)
	b.WriteString("\r\nThis is a delivery status notification in MIME format.\r\n\r\n")
	writeMultipart(&b, bnd, []part{text, dsn, hdrPart})
	return b.Bytes(), nil
}

// ReportText returns the text/plain body of the report BuildReport writes
// for r: what `sendguard check` prints so that an administrator sees what
// the sender would read.
func ReportText(r Report) string {
	if r.Date.IsZero() {
		r.Date = r.Arrival
	}
	return reportDocument(&r, originalInfo(r.original())).plain()
}

// original is the header section the report returns.
func (r *Report) original() []byte {
	h := headerSection(r.Header, MaxOriginalHeader)
	if r.RedactSubject {
		h = redactSubject(h)
	}
	return h
}

// reportRef is the marker field's value: the reference, or "yes".
func reportRef(ref string) string {
	ref = asciiLine(ref, 64)
	if ref == "" {
		return "yes"
	}
	return ref
}

func reportDocument(r *Report, info original) *document {
	more := func(ja bool) func(int) string {
		if ja {
			return func(n int) string { return fmt.Sprintf(" ほか%d件", n) }
		}
		return func(n int) string { return fmt.Sprintf(" and %d more", n) }
	}
	ref := explain.CleanText(r.Ref, 64)
	jaFacts := []fact{}
	enFacts := []fact{}
	if info.subject != "" {
		jaFacts = append(jaFacts, fact{"件名", info.subject})
		enFacts = append(enFacts, fact{"Subject", info.subject})
	}
	jaFacts = append(jaFacts,
		fact{"宛先", listAddresses(r.Recipients, 10, more(true))},
		fact{"受付日時", timeJST(r.Arrival)},
		fact{"参照番号", ref})
	enFacts = append(enFacts,
		fact{"To", listAddresses(r.Recipients, 10, more(false))},
		fact{"Arrived", timeJST(r.Arrival) + " (" + timeUTC(r.Arrival) + ")"},
		fact{"Reference", ref})

	ja := section{
		Lang:    "ja",
		Heading: "メールは送信されませんでした",
		Intro: []string{
			"このメールは、送信メール検査システム（sendguard）からの自動通知です。",
			"あなたが送信したメールは、情報セキュリティの規則に合わない点があったため、宛先には送信されていません。下の「送り方」に沿って直してから、もう一度送信してください。",
		},
		Facts: jaFacts,
		Outro: []string{
			"このお知らせには、元のメールの本文と添付ファイルは含まれていません。このメールに返信する必要はありません。",
			"分からないことがあれば、参照番号「" + ref + "」を添えて情報システム担当に問い合わせてください。",
		},
	}
	en := section{
		Lang:    "en",
		Heading: "Your message was not sent",
		Intro: []string{
			"This is an automatic notice from sendguard, the outbound mail checker.",
			"Your message was not sent to its recipients because it does not meet the information security rules. Fix it as described under \"How to send it\" and send it again.",
		},
		Facts: enFacts,
		Outro: []string{
			"This notice does not contain the text or the attachments of your message. You need not reply to it.",
			"If anything is unclear, ask IT and quote the reference \"" + ref + "\".",
		},
	}
	addFindings(&ja, &en, r.Findings, ref, "送り方", "How to send it")
	return &document{Title: ReportSubject, Sections: []section{ja, en}}
}

// deliveryStatus writes the message/delivery-status part (rfc/3464 section
// 2): 7-bit, one block per recipient.
func deliveryStatus(r *Report) part {
	var b bytes.Buffer
	var h header
	h.add("Reporting-MTA", "dns; "+r.ReportingMTA)
	if id := asciiLine(r.EnvelopeID, 100); id != "" {
		h.add("Original-Envelope-Id", id)
	}
	h.add("X-Sendguard-Ref", reportRef(r.Ref))
	h.add("Arrival-Date", dateHeader(r.Arrival))
	h.writeTo(&b)
	for _, rcpt := range r.Recipients {
		f := r.Findings[0]
		for _, cand := range r.Findings {
			if containsFold(cand.Recipients, rcpt) {
				f = cand
				break
			}
		}
		reply := asciiLine(f.Reply, explain.MaxReplyLine)
		if reply == "" {
			reply = "[" + asciiLine(f.Rule, 64) + "] rejected by policy"
		}
		var rh header
		rh.add("Final-Recipient", xtextAddress(rcpt))
		rh.add("Action", "failed")
		rh.add("Status", "5.7.1")
		rh.add("Diagnostic-Code", "smtp; 550 5.7.1 "+reply)
		b.WriteString("\r\n")
		rh.writeTo(&b)
	}
	return part{
		header: [][2]string{{"Content-Type", "message/delivery-status"}, {"Content-Transfer-Encoding", "7bit"}},
		body:   b.Bytes(),
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// asciiLine makes s one line of printable ASCII ('?' for anything else),
// at most max bytes.
func asciiLine(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= max {
			break
		}
		if r >= 0x20 && r < 0x7f {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	return strings.TrimSpace(b.String())
}

// originalHeaderPart writes the text/rfc822-headers part (rfc/6522 section
// 4): 7-bit when the header is plain ASCII with short lines, else
// quoted-printable, labelled UTF-8 when it is valid UTF-8.
func originalHeaderPart(hdr []byte) part {
	plain := true
	for _, line := range bytes.Split(hdr, []byte("\r\n")) {
		if len(line) > 998 {
			plain = false
			break
		}
	}
	for _, c := range hdr {
		if c >= 0x80 || c == 0 {
			plain = false
			break
		}
	}
	if plain {
		return part{header: [][2]string{{"Content-Type", "text/rfc822-headers"}, {"Content-Transfer-Encoding", "7bit"}}, body: hdr}
	}
	cs := "unknown-8bit" // rfc/1428
	if validUTF8(hdr) {
		cs = "utf-8"
	}
	return part{
		header: [][2]string{{"Content-Type", "text/rfc822-headers; charset=" + cs}, {"Content-Transfer-Encoding", "quoted-printable"}},
		body:   qp(string(hdr)),
	}
}

// senderMail is what the header of a mail to a sender about one of their
// messages (a report or a flag notice) says.
type senderMail struct {
	fromName, from, to, subject string
	date                        time.Time
	kind, ref, hostname         string
	inReplyTo                   string // the original's Message-ID, if any
	autoSubmitted               string // RFC 3834: auto-replied or auto-generated
}

// header returns the fields up to MIME-Version; the caller adds the
// content fields.
func (m senderMail) header() header {
	var h header
	name := m.fromName
	if name == "" {
		name = "sendguard"
	}
	h.add("From", headerAddress(name, m.from))
	h.add("To", headerAddress("", m.to))
	h.add("Subject", encodeWord(m.subject))
	h.add("Date", dateHeader(m.date))
	h.add("Message-ID", messageID(m.kind, m.ref, m.date, m.hostname))
	if m.inReplyTo != "" {
		h.add("In-Reply-To", m.inReplyTo)
		h.add("References", m.inReplyTo)
	}
	h.add("Auto-Submitted", m.autoSubmitted)
	h.add("X-Auto-Response-Suppress", "All")
	h.add(ReportMarker, reportRef(m.ref))
	h.add("MIME-Version", "1.0")
	return h
}

// addFindings lists the findings as numbered items in the Japanese and the
// English section, each with its rule, the reference and the steps under
// the given label.
func addFindings(ja, en *section, fs []Finding, ref, jaSteps, enSteps string) {
	for i, f := range fs {
		rid := explain.CleanText(f.Rule, 64)
		ja.Items = append(ja.Items, item{
			Heading:    fmt.Sprintf("%d. %s", i+1, f.JA.Summary),
			Fields:     []fact{{"規則", f.JA.Rule}, {"参照番号", ref + "（" + rid + "）"}},
			StepsLabel: jaSteps,
			Steps:      f.JA.Steps(),
		})
		en.Items = append(en.Items, item{
			Heading:    fmt.Sprintf("%d. %s", i+1, f.EN.Summary),
			Fields:     []fact{{"Rule", f.EN.Rule}, {"Reference", ref + " (" + rid + ")"}},
			StepsLabel: enSteps,
			Steps:      f.EN.Steps(),
		})
	}
}
