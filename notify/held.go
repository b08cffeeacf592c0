package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/sendguard/sendguard/policy/explain"
	"github.com/sendguard/sendguard/store"
)

// HeldNotices writes the mails about held messages: to the sender when a
// message is held, delayed, approved, rejected, expired or undeliverable,
// and to its approvers when it waits for them. The mails are bilingual
// (Japanese first), name the recipients with their domain class and the
// attachments with their verdicts, carry the findings with their rule
// citations and the link to the page, and never body text.
type HeldNotices struct {
	// From is the notices' author ([explain] from); Hostname sendguard's
	// host name (Message-IDs).
	From, Hostname string
	// Link returns the page's address for a message and a role ("sender",
	// "approver:ADDR"), valid until expires; "" when there is no page
	// (web.public_url unset).
	Link func(ref, role string, expires time.Time) string
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Held returns the notices a newly held message causes: to its sender
// (what happens next and the link), and for an approval to each approver.
func (n HeldNotices) Held(h *store.Held) []store.Notice {
	var out []store.Notice
	if h.Sender != "" {
		var subject, headJA, headEN string
		var introJA, introEN []string
		switch h.State {
		case store.StateConfirm:
			subject = "【送信保留】送信前の確認をお願いします / Your message is held: please confirm"
			headJA, headEN = "メールは送信前の確認のため保留されています", "Your message is held until you confirm it"
			introJA = []string{"次の点が見つかったため、メールはまだ送信されていません。宛先・本文・添付ファイルを確認し、問題がなければページの「今すぐ送信」を、誤りがあれば「送信を取り消す」を押してください（遵守事項 第6-1：送信前の確認）。",
				"期限までに確認がない場合、メールは送信されずに取り消されます。"}
			introEN = []string{"Your message has not been sent yet, because of what is listed below. Check its recipients, text and attachments; if all is right press \"Send now\" on the page, otherwise \"Cancel\" (rule 6-1: check before sending).",
				"If nobody confirms it before the deadline, it is cancelled without being sent."}
		case store.StateApproval:
			subject = "【承認待ち】メールは承認者の承認を待っています / Your message awaits approval"
			headJA, headEN = "メールは承認者の承認を待っています", "Your message waits for an approver"
			introJA = []string{"次の点が見つかったため、このメールは事前の承認が必要です（特記事項：あらかじめ甲の承認を得ること）。承認者に依頼を送りました。承認されると送信され、差し戻されるとお知らせします。取り下げる場合はページの「送信を取り消す」を押してください。"}
			introEN = []string{"Because of what is listed below, this message needs approval before it leaves (special provisions: prior approval). Its approvers were asked. You will be told when it is approved and sent, or rejected. To withdraw it, press \"Cancel\" on the page."}
		case store.StateDelayed:
			at := timeJST(h.ReleaseAt)
			subject = "【送信予約】メールは " + h.ReleaseAt.In(jst).Format("15:04") + " に送信されます / Your message will be sent at " + h.ReleaseAt.In(jst).Format("15:04") + " JST"
			headJA, headEN = "外部宛てのメールは少し待ってから送信されます", "External mail waits a little before it goes out"
			introJA = []string{"誤送信を防ぐため、外部宛てのメールは " + at + " に送信されます。宛先や添付ファイルの誤りに気づいたら、それまでにページの「送信を取り消す」を押してください。急ぐ場合は「今すぐ送信」を押せます。"}
			introEN = []string{"To catch mistakes, external mail goes out at " + at + ". If you notice a wrong recipient or attachment, press \"Cancel\" on the page before then; press \"Send now\" if it is urgent."}
		}
		link := n.link(h, "sender")
		out = append(out, n.notice(h, "sender-"+string(h.State), h.Sender, subject, headJA, headEN, introJA, introEN, link))
	}
	if h.State == store.StateApproval {
		for _, a := range h.Approvers {
			link := n.link(h, "approver:"+a)
			out = append(out, n.notice(h, "approver-request", a,
				"【承認依頼】"+h.Sender+" からの送信の承認をお願いします / Approval requested: a message from "+h.Sender,
				"送信の承認依頼", "Approval requested",
				[]string{h.Sender + " が送信しようとしたメールは、次の点のため承認が必要です。内容を確認し、ページで「承認して送信」または「差し戻す」を選んでください。期限までに承認がない場合は取り消されます。"},
				[]string{"The message " + h.Sender + " tried to send needs your approval because of what is listed below. Check it and choose \"Approve and send\" or \"Reject\" on the page. Without approval before the deadline it is cancelled."},
				link))
		}
	}
	return out
}

// Decided returns the notices a decision on a held message causes: the
// sender is told what an approver (or an administrator) decided; a
// sender's own decision needs no mail.
func (n HeldNotices) Decided(h *store.Held, d store.Decision, who store.Actor) []store.Notice {
	if h.Sender == "" || strings.EqualFold(who.Name, h.Sender) {
		return nil
	}
	by := explain.CleanText(who.Name, 254)
	var subject, headJA, headEN string
	var introJA, introEN []string
	switch d {
	case store.Release:
		subject = "【承認済み】メールは承認され送信されます / Your message was approved and is being sent"
		headJA, headEN = "メールは承認されました", "Your message was approved"
		introJA = []string{by + " がメールを承認しました。これから宛先に送信されます。"}
		introEN = []string{by + " approved your message. It is being sent to its recipients."}
	case store.Refuse:
		subject = "【差し戻し】メールは承認されませんでした / Your message was not approved"
		headJA, headEN = "メールは差し戻されました（送信されていません）", "Your message was rejected (not sent)"
		introJA = []string{by + " がメールを差し戻しました。メールは送信されていません。"}
		introEN = []string{by + " rejected your message. It was not sent."}
		if h.Comment != "" {
			c := explain.CleanText(h.Comment, 1000)
			introJA = append(introJA, "承認者のコメント: "+c)
			introEN = append(introEN, "The approver's comment: "+c)
		}
	case store.Cancel:
		subject = "【取消】保留中のメールは取り消されました / Your held message was cancelled"
		headJA, headEN = "保留中のメールは取り消されました（送信されていません）", "Your held message was cancelled (not sent)"
		introJA = []string{by + " が保留中のメールを取り消しました。"}
		introEN = []string{by + " cancelled your held message."}
	}
	return []store.Notice{n.notice(h, "sender-"+d.String(), h.Sender, subject, headJA, headEN, introJA, introEN, "")}
}

// Expired returns the notice that a held message nobody decided on was
// cancelled.
func (n HeldNotices) Expired(h *store.Held) []store.Notice {
	if h.Sender == "" {
		return nil
	}
	return []store.Notice{n.notice(h, "sender-expired", h.Sender,
		"【期限切れ】保留中のメールは送信されずに取り消されました / Your held message expired and was not sent",
		"保留中のメールは期限切れで取り消されました", "Your held message expired",
		[]string{"期限（" + timeJST(h.ExpireAt) + "）までに確認・承認がなかったため、メールは送信されずに取り消されました。必要なら内容を見直して送り直してください。"},
		[]string{"Nobody confirmed or approved it before its deadline (" + timeJST(h.ExpireAt) + "), so it was cancelled without being sent. Send it again if it is still needed, after checking it."},
		"")}
}

// Failed returns the notice that a released message could not be
// delivered to the next MTA.
func (n HeldNotices) Failed(h *store.Held, reason string) []store.Notice {
	if h.Sender == "" {
		return nil
	}
	r := asciiLine(reason, 300)
	return []store.Notice{n.notice(h, "sender-failed", h.Sender,
		"【送信失敗】保留後に送信したメールは届けられませんでした / Your released message could not be sent",
		"保留後に送信したメールは届けられませんでした", "Your released message could not be sent",
		[]string{"送信を許可されたメールを中継先のメールサーバーが受け付けませんでした: " + r},
		[]string{"The mail server sendguard relays to did not accept the released message: " + r},
		"")}
}

// Partial returns the notice that some recipients of a released message
// were refused by the next MTA (the others got it).
func (n HeldNotices) Partial(h *store.Held, refused []string, reason string) []store.Notice {
	if h.Sender == "" || len(refused) == 0 {
		return nil
	}
	list := listAddresses(refused, 20, func(k int) string { return fmt.Sprintf(" (+%d)", k) })
	r := asciiLine(reason, 300)
	return []store.Notice{n.notice(h, "sender-partial", h.Sender,
		"【一部送信失敗】一部の宛先に届けられませんでした / Some recipients could not be reached",
		"一部の宛先には届けられませんでした", "Some recipients could not be reached",
		[]string{"次の宛先は中継先のメールサーバーに拒否されました（ほかの宛先には送信しました）: " + list + " — " + r},
		[]string{"The next mail server refused these recipients (the others got the message): " + list + " — " + r},
		"")}
}

func (n HeldNotices) link(h *store.Held, role string) string {
	if n.Link == nil {
		return ""
	}
	exp := h.ExpireAt
	if h.State == store.StateDelayed || exp.IsZero() {
		exp = h.ReleaseAt.Add(24 * time.Hour)
	}
	return n.Link(h.Ref, role, exp)
}

func (n HeldNotices) now() time.Time {
	if n.Now != nil {
		return n.Now()
	}
	return time.Now()
}

// notice builds one mail about h to one address.
func (n HeldNotices) notice(h *store.Held, kind, to, subject, headJA, headEN string, introJA, introEN []string, link string) store.Notice {
	now := n.now()
	ja, en := heldFacts(h, link)
	jaSec := section{Lang: "ja", Heading: headJA, Intro: append([]string{"このメールは、送信メール検査システム（sendguard）からの自動通知です。"}, introJA...), Facts: ja,
		Outro: []string{"このメールに返信する必要はありません。"}}
	enSec := section{Lang: "en", Heading: headEN, Intro: append([]string{"This is an automatic notice from sendguard, the outbound mail checker."}, introEN...), Facts: en,
		Outro: []string{"You need not reply to this mail."}}
	for i, f := range h.Summary.Findings {
		jaSec.Items = append(jaSec.Items, item{Heading: fmt.Sprintf("%d. %s", i+1, f.ReasonJA),
			Fields: []fact{{"規則", f.ArticleJA}, {"参照番号", h.Ref + "（" + f.Rule + "）"}}, StepsLabel: "取り消して送り直す場合の直し方", Steps: lines(f.RemedyJA)})
		enSec.Items = append(enSec.Items, item{Heading: fmt.Sprintf("%d. %s", i+1, f.Reason),
			Fields: []fact{{"Rule", f.Article}, {"Reference", h.Ref + " (" + f.Rule + ")"}}, StepsLabel: "To fix it if you cancel and send it again", Steps: lines(f.Remedy)})
	}
	top := senderMail{from: n.From, to: to, subject: subject, date: now, kind: kind, ref: h.Ref, hostname: n.Hostname,
		autoSubmitted: "auto-generated"}.header()
	msg, err := writeNotice(top, h.Ref+"|"+kind+"|"+to+"|"+now.UTC().Format(time.RFC3339Nano), &document{Title: subject, Sections: []section{jaSec, enSec}})
	if err != nil {
		// The parts are plain strings written by go-message into memory.
		panic("notify: held notice: " + err.Error())
	}
	return store.Notice{Kind: kind, Ref: h.Ref, Sender: "", Recipients: []string{to}, Message: msg, CreatedAt: now}
}

// Subject returns the decoded, cleaned subject of a header section, for
// what a page or notice shows of a message.
func Subject(hdr []byte) string { return originalInfo(hdr).subject }

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// heldFacts lists what the notice shows of the message, in both languages.
func heldFacts(h *store.Held, link string) (ja, en []fact) {
	s := h.Summary
	if s.SubjectWithheld {
		ja = append(ja, fact{"件名", "（検出内容を含むため表示しません）"})
		en = append(en, fact{"Subject", "(withheld: it holds what was found)"})
	} else if s.Subject != "" {
		subj := explain.CleanText(s.Subject, 200)
		ja = append(ja, fact{"件名", subj})
		en = append(en, fact{"Subject", subj})
	}
	ja = append(ja, fact{"差出人", explain.CleanText(h.Sender, 254)})
	en = append(en, fact{"Sender", explain.CleanText(h.Sender, 254)})
	var rj, re []string
	for i, r := range s.Recipients {
		if i == 20 {
			rj = append(rj, fmt.Sprintf("ほか%d件", len(s.Recipients)-20))
			re = append(re, fmt.Sprintf("and %d more", len(s.Recipients)-20))
			break
		}
		a := explain.CleanText(r.Address, 254)
		cj, ce := classWords(r)
		rj = append(rj, a+"（"+cj+"）")
		re = append(re, a+" ("+ce+")")
	}
	if len(rj) > 0 {
		ja = append(ja, fact{"宛先", strings.Join(rj, ", ")})
		en = append(en, fact{"To", strings.Join(re, ", ")})
	}
	var aj, ae []string
	for i, a := range s.Attachments {
		if i == 20 {
			aj = append(aj, fmt.Sprintf("ほか%d件", len(s.Attachments)-20))
			ae = append(ae, fmt.Sprintf("and %d more", len(s.Attachments)-20))
			break
		}
		name := explain.CleanText(a.Name, 200)
		if a.Protected {
			aj = append(aj, name+"（暗号化済み "+a.Method+"）")
			ae = append(ae, name+" (encrypted "+a.Method+")")
		} else {
			aj = append(aj, name+"（"+attachmentNoteJA(a)+"）")
			ae = append(ae, name+" ("+attachmentNoteEN(a)+")")
		}
	}
	if len(aj) > 0 {
		ja = append(ja, fact{"添付ファイル", strings.Join(aj, ", ")})
		en = append(en, fact{"Attachments", strings.Join(ae, ", ")})
	}
	ja = append(ja, fact{"保留日時", timeJST(h.HeldAt)})
	en = append(en, fact{"Held at", timeJST(h.HeldAt)})
	switch {
	case h.State == store.StateDelayed:
		ja = append(ja, fact{"送信予定", timeJST(h.ReleaseAt)})
		en = append(en, fact{"Goes out at", timeJST(h.ReleaseAt)})
	case h.State.Waiting() && !h.ExpireAt.IsZero():
		ja = append(ja, fact{"期限", timeJST(h.ExpireAt)})
		en = append(en, fact{"Deadline", timeJST(h.ExpireAt)})
	}
	ja = append(ja, fact{"参照番号", h.Ref})
	en = append(en, fact{"Reference", h.Ref})
	if link != "" {
		ja = append(ja, fact{"確認ページ", link})
		en = append(en, fact{"Page", link})
	}
	return ja, en
}

func classWords(r store.Recipient) (ja, en string) {
	switch r.Class {
	case "internal":
		return "社内", "internal"
	case "verified":
		return "確認済みの取引先", "verified"
	case "lookalike":
		if r.Resembles != "" {
			return "要注意：" + explain.CleanText(r.Resembles, 254) + " に似たドメイン", "WARNING: looks like " + explain.CleanText(r.Resembles, 254)
		}
		return "要注意：似たドメイン", "WARNING: lookalike domain"
	case "anonymous":
		return "要注意：匿名・使い捨てメール", "WARNING: anonymous / disposable mail"
	case "online-service":
		return "要注意：オンラインサービス", "WARNING: online service"
	}
	return "未確認のドメイン", "unverified domain"
}

func attachmentNoteJA(a store.Attachment) string {
	if a.Note != "" {
		return explain.CleanText(a.Note, 200)
	}
	return "暗号化されていません"
}

func attachmentNoteEN(a store.Attachment) string {
	if a.Note != "" {
		return explain.CleanText(a.Note, 200)
	}
	return "not encrypted"
}
