package web

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/sendguard/sendguard/policy/explain"
	"github.com/sendguard/sendguard/store"
)

func hmacEqual(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

var matcher = language.NewMatcher([]language.Tag{language.Japanese, language.English})

// pageLanguage picks the page's language: ?lang=, else Accept-Language, else
// Japanese.
func pageLanguage(r *http.Request) string {
	switch r.URL.Query().Get("lang") {
	case "ja":
		return "ja"
	case "en":
		return "en"
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return "ja"
	}
	_, i, _ := matcher.Match(tags...)
	if i == 1 {
		return "en"
	}
	return "ja"
}

var jst = time.FixedZone("JST", 9*60*60)

// pageData is everything a page shows.
type pageData struct {
	Lang      string
	Ref       string
	SelfURL   string
	SwitchURL string // the same page in the other language
	// One of these says what the page is.
	Held      *store.Held
	Rejection *store.Rejection
	Refused   bool // token or request refused
	Expired   bool // … because the link expired
	NotFound  bool
	Failed    bool // the store failed
	Conflict  bool // already decided
	Stale     bool // a button on an out-of-date page: nothing done
	// For a held message.
	Role      string // sender or approver
	Approver  string
	Done      string // the action just taken
	Token     string
	CSRF      string
	CanSend   bool
	CanCancel bool
	CanDecide bool // approve / reject
}

func (h *handler) heldPage(m *store.Held, a *access, cookie, done string) pageData {
	pd := pageData{Lang: a.lang, Ref: a.ref, SelfURL: selfURL(a), Held: m, Token: a.token, Role: RoleSender, Done: done}
	if _, ok := decisions[done]; !ok {
		pd.Done = ""
	}
	if a.approver != "" {
		pd.Role, pd.Approver = "approver", a.approver
	}
	if cookie != "" {
		pd.CSRF = h.cfg.Signer.csrf(cookie, a.ref)
		switch {
		case a.approver != "":
			pd.CanDecide = m.State == store.StateApproval
		default:
			pd.CanSend = m.State == store.StateConfirm || m.State == store.StateDelayed
			pd.CanCancel = m.State.Waiting()
		}
	}
	return pd
}

func (h *handler) render(w http.ResponseWriter, status int, lang string, pd pageData) {
	pd.Lang = lang
	if pd.SelfURL != "" {
		other := "en"
		if lang == "en" {
			other = "ja"
		}
		pd.SwitchURL = strings.TrimSuffix(pd.SelfURL, "&lang="+lang) + "&lang=" + other
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, pd); err != nil {
		h.cfg.Log.Error("page: template", "error", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// words are the page's texts in both languages.
var words = map[string]map[string]string{
	"ja": {
		"title": "送信メールの確認 — sendguard", "titleReject": "送信されなかったメールの説明 — sendguard",
		"refused":  "このリンクは使えません。リンクが正しいか確認してください。",
		"expired":  "このリンクは有効期限が切れています。",
		"notfound": "このメールは見つかりません（処理が終わり、記録が消えた可能性があります）。",
		"failed":   "一時的な問題が発生しました。しばらくしてからもう一度お試しください。",
		"conflict": "このメールはすでに処理されています。現在の状態を表示します。",
		"stale":    "このページは古くなっていました（その後に別のリンクを開いたため）。まだ何も変更していません。内容を確認して、もう一度押してください。",
		"state":    "状態", "sender": "差出人", "subject": "件名", "withheld": "（検出内容を含むため表示しません）",
		"recipients": "宛先", "attachments": "添付ファイル", "findings": "検出された内容", "heldAt": "保留日時",
		"releaseAt": "送信予定", "expireAt": "期限", "ref": "参照番号", "decidedBy": "処理した人", "comment": "コメント",
		"rule": "規則", "remedy": "対応", "remedyHeld": "取り消して送り直す場合の直し方", "protected": "暗号化済み", "unprotected": "暗号化されていません",
		"send": "今すぐ送信", "cancel": "送信を取り消す", "approve": "承認して送信", "reject": "差し戻す",
		"commentLabel": "差出人へのコメント（差し戻す場合）", "approverNote": "承認者として表示しています",
		"done.send": "送信しました。まもなく宛先に届けられます。", "done.cancel": "送信を取り消しました。メールは送信されません。",
		"done.approve": "承認しました。メールは送信されます。", "done.reject": "差し戻しました。差出人に通知します。",
		"switch": "English", "switchLang": "en", "none": "なし",
		"explainIntro": "このメールは次の理由で送信されませんでした。内容を直してから送り直してください。",
		"st.confirm":   "送信者の確認待ち（まだ送信されていません）", "st.approval": "承認者の承認待ち（まだ送信されていません）",
		"st.delayed": "送信予約中（予定時刻に自動で送信されます）", "st.queued": "送信処理中", "st.relayed": "送信済み",
		"st.cancelled": "取り消し済み（送信されていません）", "st.rejected": "差し戻し済み（送信されていません）",
		"st.expired": "期限切れで取り消し（送信されていません）", "st.failed": "送信失敗",
		"cl.internal": "社内", "cl.verified": "確認済みの取引先", "cl.unverified": "未確認のドメイン",
		"cl.lookalike": "要注意：似たドメイン", "cl.anonymous": "要注意：匿名・使い捨てメール", "cl.online-service": "要注意：オンラインサービス",
		"resembles": "に似ています",
	},
	"en": {
		"title": "Check your outgoing message — sendguard", "titleReject": "Why your message was not sent — sendguard",
		"refused":  "This link cannot be used. Check that it is complete.",
		"expired":  "This link has expired.",
		"notfound": "This message was not found (it may be done and its record gone).",
		"failed":   "A temporary problem occurred. Please try again later.",
		"conflict": "This message was already dealt with. Its current state is shown.",
		"stale":    "This page was out of date (another link was opened since). Nothing was changed: check and press the button again.",
		"state":    "State", "sender": "Sender", "subject": "Subject", "withheld": "(withheld: it holds what was found)",
		"recipients": "Recipients", "attachments": "Attachments", "findings": "What was found", "heldAt": "Held at",
		"releaseAt": "Goes out at", "expireAt": "Deadline", "ref": "Reference", "decidedBy": "Decided by", "comment": "Comment",
		"rule": "Rule", "remedy": "What to do", "remedyHeld": "To fix it if you cancel and send it again", "protected": "encrypted", "unprotected": "not encrypted",
		"send": "Send now", "cancel": "Cancel", "approve": "Approve and send", "reject": "Reject",
		"commentLabel": "Comment to the sender (when rejecting)", "approverNote": "You are viewing this as an approver",
		"done.send": "Sent. It goes out to its recipients shortly.", "done.cancel": "Cancelled. The message will not be sent.",
		"done.approve": "Approved. The message will be sent.", "done.reject": "Rejected. The sender will be told.",
		"switch": "日本語", "switchLang": "ja", "none": "none",
		"explainIntro": "Your message was not sent, for the reasons below. Correct it and send it again.",
		"st.confirm":   "Waiting for the sender to confirm (not sent yet)", "st.approval": "Waiting for an approver (not sent yet)",
		"st.delayed": "Scheduled (goes out by itself at the time shown)", "st.queued": "Being sent", "st.relayed": "Sent",
		"st.cancelled": "Cancelled (not sent)", "st.rejected": "Rejected by an approver (not sent)",
		"st.expired": "Expired and cancelled (not sent)", "st.failed": "Could not be delivered",
		"cl.internal": "internal", "cl.verified": "verified partner", "cl.unverified": "unverified domain",
		"cl.lookalike": "WARNING: lookalike domain", "cl.anonymous": "WARNING: anonymous / disposable mail", "cl.online-service": "WARNING: online service",
		"resembles": "resembles",
	},
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"t": func(lang, key string) string {
		if s, ok := words[lang][key]; ok {
			return s
		}
		return key
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(jst).Format("2006-01-02 15:04 JST")
	},
	"size": func(n int64) string {
		switch {
		case n >= 1<<20:
			return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
		case n >= 1<<10:
			return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
		}
		return fmt.Sprintf("%d B", n)
	},
	"warn": func(class string) bool {
		return class == "lookalike" || class == "anonymous" || class == "online-service" || class == "unverified"
	},
	"pick": func(lang, ja, en string) string {
		if lang == "en" || ja == "" {
			return en
		}
		return ja
	},
	"concat": func(a, b string) string { return a + b },
	"dict":   func(lang string, s store.Summary) map[string]any { return map[string]any{"Lang": lang, "S": s} },
	"lines":  func(s string) []string { return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") },
	// clean shows text that came with the message (or from a person)
	// safely: no control or bidirectional formatting characters (a
	// right-to-left override makes "cod.exe" look like "exe.doc"), at most
	// max characters.
	"clean": explain.CleanText,
	// class is a recipient's class the page has words for; one it does
	// not know reads as unverified.
	"class": func(c string) string {
		if _, ok := words["ja"]["cl."+c]; ok {
			return c
		}
		return "unverified"
	},
}).Parse(pageHTML))

const pageHTML = `<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .Rejection}}{{t .Lang "titleReject"}}{{else}}{{t .Lang "title"}}{{end}}</title>
<style>
body { font-family: "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", sans-serif; line-height: 1.6; margin: 0; background: #f5f6f8; color: #1d2330; }
main { max-width: 46rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.3rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
section { background: #fff; border-radius: 8px; padding: .8rem 1rem; margin-bottom: .8rem; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; white-space: nowrap; padding: .2rem .8rem .2rem 0; vertical-align: top; color: #4a5263; font-weight: normal; }
td { padding: .2rem 0; word-break: break-all; }
ul { margin: .2rem 0; padding-left: 1.2rem; }
.banner { padding: .7rem 1rem; border-radius: 8px; margin-bottom: .8rem; }
.ok { background: #e3f4e8; border: 1px solid #8bc79c; }
.bad { background: #fdecea; border: 1px solid #e0a19b; }
.warn { color: #b3261e; font-weight: bold; }
.state { font-weight: bold; }
.actions { display: flex; flex-wrap: wrap; gap: .6rem; align-items: flex-end; }
button { font-size: 1rem; padding: .55rem 1.1rem; border-radius: 6px; border: 1px solid #888; background: #fff; cursor: pointer; }
button.primary { background: #1f5fbf; color: #fff; border-color: #1f5fbf; }
button.danger { background: #fff; color: #b3261e; border-color: #b3261e; }
textarea { width: 100%; min-height: 4rem; font: inherit; box-sizing: border-box; }
.lang { display: block; text-align: right; font-size: .9rem; }
.finding { border-left: 3px solid #e0a19b; padding-left: .7rem; margin: .6rem 0; }
.small { color: #4a5263; font-size: .9rem; }
</style>
</head>
<body>
<main>
{{- if .SwitchURL}}<a class="lang" href="{{.SwitchURL}}" hreflang="{{t .Lang "switchLang"}}" lang="{{t .Lang "switchLang"}}" id="switch-lang">{{t .Lang "switch"}}</a>{{end}}
{{- if .Refused}}
<h1>sendguard</h1>
{{- /* Whoever holds a bad link may read either language: both, the
      page's first, and nothing about the message. */}}
<div class="banner bad" id="refused">{{$other := t .Lang "switchLang"}}
<p lang="{{.Lang}}">{{if .Expired}}{{t .Lang "expired"}}{{else}}{{t .Lang "refused"}}{{end}}</p>
<p lang="{{$other}}">{{if .Expired}}{{t $other "expired"}}{{else}}{{t $other "refused"}}{{end}}</p>
</div>
{{- else if .NotFound}}
<h1>sendguard</h1>
<div class="banner bad" id="notfound">{{t .Lang "notfound"}}</div>
{{- else if .Failed}}
<h1>sendguard</h1>
<div class="banner bad" id="failed">{{t .Lang "failed"}}</div>
{{- else if .Rejection}}
{{- with .Rejection}}
<h1>{{t $.Lang "titleReject"}}</h1>
<div class="banner bad">{{t $.Lang "explainIntro"}}</div>
<section>
<table>
{{- if .Summary.SubjectWithheld}}<tr><th>{{t $.Lang "subject"}}</th><td>{{t $.Lang "withheld"}}</td></tr>{{else if .Summary.Subject}}<tr><th>{{t $.Lang "subject"}}</th><td id="subject">{{clean .Summary.Subject 300}}</td></tr>{{end}}
<tr><th>{{t $.Lang "sender"}}</th><td>{{clean .Sender 254}}</td></tr>
<tr><th>{{t $.Lang "ref"}}</th><td>{{.Ref}}</td></tr>
</table>
</section>
{{template "summary" (dict $.Lang .Summary)}}
{{- end}}
{{- else if .Held}}
{{- with .Held}}
<h1>{{t $.Lang "title"}}</h1>
{{- if $.Done}}<div class="banner ok" id="done">{{t $.Lang (concat "done." $.Done)}}</div>{{end}}
{{- if $.Conflict}}<div class="banner bad" id="conflict">{{t $.Lang "conflict"}}</div>{{end}}
{{- if $.Stale}}<div class="banner bad" id="stale">{{t $.Lang "stale"}}</div>{{end}}
{{- if $.Approver}}<p class="small">{{t $.Lang "approverNote"}}: {{clean $.Approver 254}}</p>{{end}}
<section>
<table>
<tr><th>{{t $.Lang "state"}}</th><td class="state" id="state" data-state="{{.State}}">{{t $.Lang (concat "st." (printf "%s" .State))}}</td></tr>
{{- if .Summary.SubjectWithheld}}<tr><th>{{t $.Lang "subject"}}</th><td>{{t $.Lang "withheld"}}</td></tr>{{else if .Summary.Subject}}<tr><th>{{t $.Lang "subject"}}</th><td id="subject">{{clean .Summary.Subject 300}}</td></tr>{{end}}
<tr><th>{{t $.Lang "sender"}}</th><td id="sender">{{clean .Sender 254}}</td></tr>
<tr><th>{{t $.Lang "heldAt"}}</th><td>{{when .HeldAt}}</td></tr>
{{- if eq (printf "%s" .State) "delayed"}}<tr><th>{{t $.Lang "releaseAt"}}</th><td id="release-at">{{when .ReleaseAt}}</td></tr>{{end}}
{{- if .State.Waiting}}{{if not .ExpireAt.IsZero}}<tr><th>{{t $.Lang "expireAt"}}</th><td>{{when .ExpireAt}}</td></tr>{{end}}{{end}}
{{- if .DecidedBy}}<tr><th>{{t $.Lang "decidedBy"}}</th><td id="decided-by">{{clean .DecidedBy 254}} ({{when .DecidedAt}})</td></tr>{{end}}
{{- if .Comment}}<tr><th>{{t $.Lang "comment"}}</th><td id="comment">{{range $i, $l := lines .Comment}}{{if $i}}<br>{{end}}{{clean $l 1000}}{{end}}</td></tr>{{end}}
<tr><th>{{t $.Lang "ref"}}</th><td>{{.Ref}}</td></tr>
</table>
</section>
{{template "summary" (dict $.Lang .Summary)}}
{{- if or $.CanSend $.CanCancel $.CanDecide}}
<section>
<form method="post" action="/h/{{.Ref}}?lang={{$.Lang}}" id="actions">
<input type="hidden" name="t" value="{{$.Token}}">
<input type="hidden" name="csrf" value="{{$.CSRF}}">
{{- if $.CanDecide}}
<label for="comment-input">{{t $.Lang "commentLabel"}}</label>
<textarea name="comment" id="comment-input" maxlength="1000"></textarea>
{{- end}}
<div class="actions">
{{- if $.CanSend}}<button class="primary" type="submit" name="action" value="send" id="btn-send">{{t $.Lang "send"}}</button>{{end}}
{{- if $.CanDecide}}<button class="primary" type="submit" name="action" value="approve" id="btn-approve">{{t $.Lang "approve"}}</button>
<button class="danger" type="submit" name="action" value="reject" id="btn-reject">{{t $.Lang "reject"}}</button>{{end}}
{{- if $.CanCancel}}<button class="danger" type="submit" name="action" value="cancel" id="btn-cancel">{{t $.Lang "cancel"}}</button>{{end}}
</div>
</form>
</section>
{{- end}}
{{- end}}
{{- end}}
<p class="small">sendguard</p>
</main>
</body>
</html>
{{define "summary"}}{{$lang := .Lang}}{{$remedy := "remedy"}}{{if ne .S.Action "reject"}}{{$remedy = "remedyHeld"}}{{end}}{{with .S}}
<section>
<h2>{{t $lang "recipients"}}</h2>
<ul id="recipients">
{{- range .Recipients}}
<li{{if warn (class .Class)}} class="warn"{{end}}>{{clean .Address 254}} — {{t $lang (concat "cl." (class .Class))}}{{if .Resembles}} ({{clean .Resembles 254}} {{t $lang "resembles"}}){{end}}</li>
{{- else}}<li>{{t $lang "none"}}</li>{{end}}
</ul>
<h2>{{t $lang "attachments"}}</h2>
<ul id="attachments">
{{- range .Attachments}}
<li>{{clean .Name 200}} ({{size .Size}}) — {{if .Protected}}{{t $lang "protected"}}{{with .Method}} {{clean . 100}}{{end}}{{else if .Note}}<span class="warn">{{clean .Note 200}}</span>{{else}}<span class="warn">{{t $lang "unprotected"}}</span>{{end}}</li>
{{- else}}<li>{{t $lang "none"}}</li>{{end}}
</ul>
{{- if .Findings}}
<h2>{{t $lang "findings"}}</h2>
<div id="findings">
{{- range .Findings}}
<div class="finding">
<p><b>{{pick $lang .ReasonJA .Reason}}</b></p>
{{- with (pick $lang .ArticleJA .Article)}}<p class="small">{{t $lang "rule"}}: {{.}}</p>{{end}}
{{- with (pick $lang .RemedyJA .Remedy)}}<p class="small">{{t $lang $remedy}}:</p><ul class="small">{{range lines .}}<li>{{.}}</li>{{end}}</ul>{{end}}
</div>
{{- end}}
</div>
{{- end}}
</section>
{{end}}{{end}}
`
