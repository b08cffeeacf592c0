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
	"mime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"

	"github.com/sendguard/sendguard/mailheader"
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
	msg, err := writeReport(&r, orig, info)
	if err != nil {
		return nil, fmt.Errorf("notify: report: %w", err)
	}
	return msg, nil
}

// writeReport writes the report's MIME structure with go-message.
func writeReport(r *Report, orig []byte, info original) ([]byte, error) {
	seed := r.Ref + "|" + r.Date.UTC().Format(time.RFC3339Nano)
	dsn, err := deliveryStatus(r)
	if err != nil {
		return nil, err
	}
	hdrFields, hdrBody := originalHeaderPart(orig)
	top := senderMail{
		fromName: r.FromName, from: r.From, to: r.Sender, subject: ReportSubject,
		date: r.Date, kind: "report", ref: r.Ref, hostname: r.ReportingMTA,
		inReplyTo: info.messageID, autoSubmitted: "auto-replied",
	}.header()
	top = append(top, [2]string{"Content-Type", multipartType("report", boundary(seed+"|report", dsn, hdrBody),
		map[string]string{"report-type": "delivery-status"})})

	var b bytes.Buffer
	w, err := message.CreateWriter(&b, top.header())
	if err != nil {
		return nil, fmt.Errorf("write the header: %w", err)
	}
	// The preamble, for readers that do not know MIME (rfc/2046 section
	// 5.1.1); the CRLF before the first delimiter belongs to it.
	if _, err := b.WriteString("This is a delivery status notification in MIME format.\r\n\r\n"); err != nil {
		return nil, err
	}
	alt, err := w.CreatePart(fields{{"Content-Type", alternativeType(seed)}}.header())
	if err != nil {
		return nil, fmt.Errorf("multipart/alternative part: %w", err)
	}
	if err := writeAlternative(alt, reportDocument(r, info)); err != nil {
		return nil, err
	}
	if err := writePart(w, fields{{"Content-Type", "message/delivery-status"}, {"Content-Transfer-Encoding", "7bit"}}, dsn); err != nil {
		return nil, err
	}
	if err := writePart(w, hdrFields, hdrBody); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("close the report: %w", err)
	}
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
func (r *Report) original() []byte { return originalSection(r.Header, r.RedactSubject) }

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

// deliveryStatus writes the body of the message/delivery-status part
// (rfc/3464 section 2): 7-bit, the per-message fields, then one block per
// recipient, each block after an empty line. go-message formats and folds
// the fields; Reporting-MTA is added as written, since go-message would
// spell its name "Reporting-Mta" and some bounce processors match the name
// of RFC 3464 exactly.
func deliveryStatus(r *Report) ([]byte, error) {
	var b bytes.Buffer
	perMessage := fields{}
	if id := asciiLine(r.EnvelopeID, 100); id != "" {
		perMessage = append(perMessage, [2]string{"Original-Envelope-Id", id})
	}
	perMessage = append(perMessage,
		[2]string{"X-Sendguard-Ref", reportRef(r.Ref)},
		[2]string{"Arrival-Date", dateHeader(r.Arrival)})
	h := perMessage.header()
	h.AddRaw([]byte("Reporting-MTA: dns; " + r.ReportingMTA + "\r\n"))
	if err := textproto.WriteHeader(&b, h.Header); err != nil {
		return nil, fmt.Errorf("delivery status: %w", err)
	}
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
		perRecipient := fields{
			{"Final-Recipient", xtextAddress(rcpt)},
			{"Action", "failed"},
			{"Status", "5.7.1"},
			{"Diagnostic-Code", "smtp; 550 5.7.1 " + reply},
		}
		if err := textproto.WriteHeader(&b, perRecipient.header().Header); err != nil {
			return nil, fmt.Errorf("delivery status: %w", err)
		}
	}
	// WriteHeader ends each block with an empty line; the last one ends
	// the body, not a block.
	return bytes.TrimSuffix(b.Bytes(), []byte("\r\n")), nil
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

// originalHeaderPart returns the fields and body of the
// text/rfc822-headers part (rfc/6522 section 4): 7-bit when the header is
// plain ASCII with short lines, else UTF-8 in quoted-printable. Bytes that
// are not UTF-8 (a raw 8-bit header in another charset) become U+FFFD:
// go-message writes text in UTF-8 or US-ASCII only, so the former label
// "unknown-8bit" (rfc/1428) is no longer written.
func originalHeaderPart(hdr []byte) (fields, []byte) {
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
		return fields{{"Content-Type", "text/rfc822-headers"}, {"Content-Transfer-Encoding", "7bit"}}, hdr
	}
	if !utf8.Valid(hdr) {
		hdr = mailheader.Section([]byte(strings.ToValidUTF8(string(hdr), "\uFFFD")), MaxOriginalHeader)
	}
	return fields{
		{"Content-Type", mime.FormatMediaType("text/rfc822-headers", map[string]string{"charset": "utf-8"})},
		{"Content-Transfer-Encoding", "quoted-printable"},
	}, hdr
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
func (m senderMail) header() fields {
	name := m.fromName
	if name == "" {
		name = "sendguard"
	}
	h := fields{
		{"From", headerAddress(name, m.from)},
		{"To", headerAddress("", m.to)},
		{"Subject", encodeWord(m.subject)},
		{"Date", dateHeader(m.date)},
		{"Message-ID", messageID(m.kind, m.ref, m.date, m.hostname)},
	}
	if m.inReplyTo != "" {
		h = append(h, [2]string{"In-Reply-To", m.inReplyTo}, [2]string{"References", m.inReplyTo})
	}
	return append(h,
		[2]string{"Auto-Submitted", m.autoSubmitted},
		[2]string{"X-Auto-Response-Suppress", "All"},
		[2]string{ReportMarker, reportRef(m.ref)},
		[2]string{"MIME-Version", "1.0"})
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
