package inspect

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// messagesDir holds the whole-message fixtures made by
// testdata/messages/make.go.
const messagesDir = "../../testdata/messages"

type wantAttachment struct {
	path, name, ctype, origin string
	forwarded                 bool
	magic                     string // the decoded content starts with this
}

func walkFile(t *testing.T, name string, lim Limits) *Message {
	t.Helper()
	f, err := os.Open(filepath.Join(messagesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := Walk(f, lim)
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func content(t *testing.T, a *Attachment) []byte {
	t.Helper()
	b, err := io.ReadAll(a.Content.Reader())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWalkMessages asserts what a recipient would see in each fixture.
func TestWalkMessages(t *testing.T) {
	zip := "PK\x03\x04"
	tests := []struct {
		file      string
		lim       Limits
		subject   string
		from, to  []string
		atts      []wantAttachment
		inline    []string // names of images shown in the HTML body
		phrases   []string // each must appear in some Text
		absent    []string // none may appear in any Text
		problems  []string // exact Reasons, in any order
		encrypted string
	}{
		{
			file:    "outlook-iso2022jp-quoted-word.eml",
			subject: "お見積りの件",
			from:    []string{"alice@example.co.jp"},
			to:      []string{"bob@partner.example.com"},
			atts:    []wantAttachment{{path: "2", name: "見積書.zip", ctype: "application/x-zip-compressed", magic: zip}},
			phrases: []string{"いつもお世話になっております。", "見積書.zip"},
		},
		{
			file:    "thunderbird-rfc2231-utf8.eml",
			subject: "報告書の送付",
			atts: []wantAttachment{
				{path: "2", name: "請求書.pdf", ctype: "application/pdf", magic: "%PDF"},
				{path: "3", name: "令和六年度第一四半期営業報告書（最終版・社外秘）.pdf", ctype: "application/pdf", magic: "%PDF"},
			},
			phrases: []string{"報告書を送付します。"},
		},
		{
			file:    "becky-sjis-rfc2231-jis.eml",
			subject: "議事録",
			from:    []string{"alice@example.co.jp"},
			atts: []wantAttachment{
				{path: "2", name: "予算表.xlsx", ctype: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", magic: zip},
				{path: "3", name: "打合せ議事録_第3回.docx", ctype: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", magic: zip},
			},
			phrases: []string{"先日の打合せの議事録をお送りします。"},
		},
		{
			file:    "iphone-inline-image.eml",
			subject: "現場の写真",
			atts:    []wantAttachment{{path: "2", name: "IMG_0123.jpg", ctype: "image/jpeg", magic: "\xFF\xD8\xFF"}},
			phrases: []string{"現場の写真を送ります。", "iPhoneから送信"},
		},
		{
			file:    "gmail-alternative-attachment.eml",
			subject: "契約書の案",
			from:    []string{"alice.sato@gmail.com"},
			atts:    []wantAttachment{{path: "2", name: "契約書（案）.pdf", ctype: "application/pdf", magic: "%PDF"}},
			phrases: []string{"契約書の案をお送りします。&ご確認ください。"},
			absent:  []string{"<div", "color:red", "alert(", "&amp;"},
		},
		{
			file:    "outlook-html-cid-logo.eml",
			subject: "新サービスのご案内",
			atts:    []wantAttachment{{path: "2", name: "案内.xls", ctype: "application/vnd.ms-excel", magic: "\xD0\xCF\x11\xE0"}},
			inline:  []string{"image001.png"},
			phrases: []string{"新サービスのご案内です。"},
			absent:  []string{"MsoNormal", "image001.png"},
		},
		{
			file:    "outlook-html-cid-logo.eml",
			lim:     Limits{CountInlineImages: true},
			subject: "新サービスのご案内",
			atts: []wantAttachment{
				{path: "1.2", name: "image001.png", ctype: "image/png", magic: "\x89PNG"},
				{path: "2", name: "案内.xls", ctype: "application/vnd.ms-excel"},
			},
		},
		{
			file:    "forward-rfc822.eml",
			subject: "転送：打合せ資料",
			atts:    []wantAttachment{{path: "2/2", name: "資料.zip", ctype: "application/zip", forwarded: true, magic: zip}},
			// The forwarded message's subject and body are texts too; the
			// .eml itself is not an attachment.
			phrases: []string{"先方からのメールを転送します。", "打合せ資料", "明日の打合せ資料です。"},
		},
		{
			file:    "outlook-tnef-winmail.eml",
			subject: "資料送付",
			atts: []wantAttachment{
				{path: "2", name: "見積書_2024年5月.pdf", ctype: "application/pdf", origin: "tnef", magic: "%PDF"},
				{path: "2", name: "議事録.txt", ctype: "application/octet-stream", origin: "tnef", magic: "TNEF two"},
			},
			phrases: []string{"資料を添付いたします。", "見積書_2024年5月.pdf"},
		},
		{
			file:    "uuencode-in-body.eml",
			atts:    []wantAttachment{{path: "1", name: "report.zip", ctype: "application/octet-stream", origin: "uuencode", magic: zip}},
			phrases: []string{"報告書を送ります。", "よろしくお願いします。"},
			absent:  []string{"begin 644", "\nend"},
		},
		{
			file:    "x-uuencode-part.eml",
			atts:    []wantAttachment{{path: "2", name: "data.bin", ctype: "application/octet-stream", origin: "uuencode", magic: "\x00\x01\xFE\xFFuu"}},
			phrases: []string{"Data attached."},
		},
		{
			file: "raw-sjis-filename.eml",
			atts: []wantAttachment{
				{path: "2", name: "予定表.xls", ctype: "application/vnd.ms-excel"},
				{path: "3", name: "ソフト 一覧.csv", ctype: "application/octet-stream"},
			},
			phrases: []string{"予定表を添付します。"},
		},
		{
			file:     "missing-final-boundary.eml",
			atts:     []wantAttachment{{path: "2", name: "cut.zip", ctype: "application/zip", magic: zip}},
			phrases:  []string{"途中で切れたメールです。"},
			problems: []string{"missing final MIME boundary"},
		},
		{
			file:     "unknown-transfer-encoding.eml",
			atts:     []wantAttachment{{path: "2", name: "odd.bin", ctype: "application/octet-stream", magic: "QWxs"}},
			problems: []string{"unknown transfer encoding x-foo"},
		},
		{
			file:     "deep-nesting.eml",
			problems: []string{"MIME nesting deeper than 20"},
		},
		{
			file:     "deep-nesting.eml",
			lim:      Limits{MaxDepth: 30},
			atts:     []wantAttachment{{path: "1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1", name: "deep.zip", ctype: "application/zip", magic: zip}},
			problems: []string{},
		},
		{
			file:    "misleading-name-zip-as-txt.eml",
			subject: "議事録",
			// A ZIP named .txt and declared text/plain keeps its exact bytes.
			atts:    []wantAttachment{{path: "2", name: "議事録.txt", ctype: "text/plain", magic: zip}},
			phrases: []string{"議事録です。"},
		},
		{
			file:     "corrupt-base64.eml",
			atts:     []wantAttachment{{path: "2", name: "broken.pdf", ctype: "application/pdf", magic: "%PDF"}},
			problems: []string{"base64 is corrupt"},
		},
		{
			file:      "pgp-mime-encrypted.eml",
			encrypted: "pgp",
		},
		{
			file:      "smime-enveloped.eml",
			encrypted: "smime",
		},
		{
			file: "smime-multipart-signed.eml",
			atts: []wantAttachment{
				{path: "1.2", name: "signed.zip", ctype: "application/zip", magic: zip},
				{path: "2", name: "smime.p7s", ctype: "application/pkcs7-signature", origin: "signature"},
			},
			phrases: []string{"署名付きのメールです。"},
		},
		{
			file:    "smime-opaque-signed.eml",
			atts:    []wantAttachment{{path: "1.1.2", name: "opaque.zip", ctype: "application/zip", origin: "smime-signed", magic: zip}},
			phrases: []string{"不透明署名のメールです。"},
		},
		{
			file:    "calendar-invite.eml",
			subject: "定例会議",
			atts:    []wantAttachment{{path: "2", name: "", ctype: "text/calendar", magic: "BEGIN:VCALENDAR"}},
			phrases: []string{"定例会議のご案内です。"},
		},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			m := walkFile(t, tc.file, tc.lim)
			if tc.subject != "" && m.Subject != tc.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tc.subject)
			}
			if tc.from != nil && !slices.Equal(m.From, tc.from) {
				t.Errorf("From = %q, want %q", m.From, tc.from)
			}
			if tc.to != nil && !slices.Equal(m.To, tc.to) {
				t.Errorf("To = %q, want %q", m.To, tc.to)
			}
			if m.Encrypted != tc.encrypted {
				t.Errorf("Encrypted = %q, want %q", m.Encrypted, tc.encrypted)
			}
			if len(m.Attachments) != len(tc.atts) {
				for _, a := range m.Attachments {
					t.Logf("got attachment %s %q %s origin=%q", a.Path, a.Name, a.ContentType, a.Origin)
				}
				t.Fatalf("%d attachments, want %d", len(m.Attachments), len(tc.atts))
			}
			for i, w := range tc.atts {
				a := m.Attachments[i]
				if a.Path != w.path || a.Name != w.name || a.ContentType != w.ctype || a.Origin != w.origin || a.Forwarded != w.forwarded {
					t.Errorf("attachment %d = {%s %q %s origin=%q fwd=%v}, want {%s %q %s origin=%q fwd=%v}",
						i, a.Path, a.Name, a.ContentType, a.Origin, a.Forwarded, w.path, w.name, w.ctype, w.origin, w.forwarded)
				}
				b := content(t, a)
				if int64(len(b)) != a.Size {
					t.Errorf("attachment %d: Size %d, content %d bytes", i, a.Size, len(b))
				}
				if !strings.HasPrefix(string(b), w.magic) {
					t.Errorf("attachment %d: content starts %q, want %q", i, b[:min(len(b), 8)], w.magic)
				}
				if len(a.SHA256) != 64 {
					t.Errorf("attachment %d: SHA256 %q", i, a.SHA256)
				}
			}
			var inline []string
			for _, a := range m.InlineImages {
				inline = append(inline, a.Name)
			}
			if !slices.Equal(inline, tc.inline) {
				t.Errorf("InlineImages = %q, want %q", inline, tc.inline)
			}
			all := allText(m)
			for _, p := range tc.phrases {
				if !strings.Contains(all, p) {
					t.Errorf("no text contains %q; texts:\n%s", p, all)
				}
			}
			for _, p := range tc.absent {
				if strings.Contains(all, p) {
					t.Errorf("texts contain %q; texts:\n%s", p, all)
				}
			}
			var reasons []string
			for _, p := range m.Problems {
				reasons = append(reasons, p.Reason)
			}
			want := tc.problems
			slices.Sort(reasons)
			slices.Sort(want)
			if len(reasons) != len(want) || (len(want) > 0 && !slices.Equal(reasons, want)) {
				t.Errorf("Problems = %q, want %q", reasons, want)
			}
		})
	}
	// Every fixture is asserted.
	files, _ := filepath.Glob(filepath.Join(messagesDir, "*.eml"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("fixture %s has no test case", filepath.Base(f))
		}
	}
}

func allText(m *Message) string {
	var sb strings.Builder
	for _, x := range m.Texts {
		sb.WriteString(x.Kind + "\t" + x.Content + "\n")
	}
	return sb.String()
}

// TestCloseRemovesTempFiles spills every attachment to disk and checks
// that Close removes all of them.
func TestCloseRemovesTempFiles(t *testing.T) {
	dir := t.TempDir()
	lim := Limits{SpoolDir: dir, MemThreshold: 4}
	files, _ := filepath.Glob(filepath.Join(messagesDir, "*.eml"))
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	var msgs []*Message
	spilled := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Walk(bytes.NewReader(data), lim)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, a := range append(m.Attachments, m.InlineImages...) {
			if a.Content.OnDisk() {
				spilled++
			}
		}
		msgs = append(msgs, m)
	}
	entries, _ := os.ReadDir(dir)
	if spilled == 0 || len(entries) < spilled {
		t.Fatalf("%d temp files for %d spilled attachments", len(entries), spilled)
	}
	for _, m := range msgs {
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := m.Close(); err != nil { // twice is fine
			t.Errorf("second Close: %v", err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("%d temp files left after Close", len(entries))
	}
}

type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

// TestWalkReadError: an I/O error of the source is an error, and nothing
// is left behind.
func TestWalkReadError(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(messagesDir, "outlook-iso2022jp-quoted-word.eml"))
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("connection reset")
	m, err := Walk(&failingReader{r: bytes.NewReader(data[:len(data)-100]), err: boom}, Limits{SpoolDir: dir, MemThreshold: 1})
	if !errors.Is(err, boom) || m != nil {
		t.Fatalf("Walk = %v, %v; want nil, %v", m, err, boom)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("%d temp files left", len(entries))
	}
}

func walkString(t *testing.T, s string, lim Limits) *Message {
	t.Helper()
	m, err := Walk(strings.NewReader(s), lim)
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func reasons(m *Message) []string {
	var r []string
	for _, p := range m.Problems {
		r = append(r, p.Path+": "+p.Reason)
	}
	return r
}

func TestLimits(t *testing.T) {
	many := "Content-Type: multipart/mixed; boundary=b\n\n" + strings.Repeat("--b\nContent-Type: application/octet-stream\n\nx\n", 20) + "--b--\n"
	t.Run("parts", func(t *testing.T) {
		m := walkString(t, many, Limits{MaxParts: 10})
		if got := reasons(m); !slices.Contains(got, "10: more than 10 MIME parts") {
			t.Errorf("Problems = %q", got)
		}
		if len(m.Attachments) != 9 { // the root counts as a part
			t.Errorf("%d attachments, want 9", len(m.Attachments))
		}
	})
	t.Run("part bytes", func(t *testing.T) {
		big := "Content-Type: application/octet-stream\n\n" + strings.Repeat("0123456789", 100)
		m := walkString(t, big, Limits{MaxPartBytes: 100})
		if got := reasons(m); !slices.Equal(got, []string{"1: part larger than 100 bytes"}) {
			t.Errorf("Problems = %q", got)
		}
		if len(m.Attachments) != 1 || m.Attachments[0].Size != 100 {
			t.Errorf("attachments %+v", m.Attachments)
		}
	})
	t.Run("text bytes", func(t *testing.T) {
		long := "Subject: s\nContent-Type: text/plain; charset=utf-8\n\n" + strings.Repeat("あいうえお", 100)
		m := walkString(t, long, Limits{MaxTextBytes: 100})
		if got := reasons(m); len(got) != 0 || !m.TextTruncated {
			t.Errorf("Problems = %q, TextTruncated = %v; want none and true", got, m.TextTruncated)
		}
		n := 0
		for _, x := range m.Texts {
			n += len(x.Content)
		}
		if n > 100 {
			t.Errorf("%d bytes of text kept", n)
		}
	})
	t.Run("header bytes", func(t *testing.T) {
		hdr := "Content-Type: multipart/mixed; boundary=b\n\n--b\nX-Long: " + strings.Repeat("a", 2000) + "\nContent-Type: application/zip\n\nPK\n--b--\n"
		m := walkString(t, hdr, Limits{MaxHeaderBytes: 1000})
		if got := reasons(m); !slices.Equal(got, []string{"1: MIME header larger than 1000 bytes"}) {
			t.Errorf("Problems = %q", got)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		if d := (Limits{}).withDefaults(); d != DefaultLimits() {
			t.Errorf("zero Limits → %+v, want %+v", d, DefaultLimits())
		}
	})
}

// TestWalkOddities covers malformed structures real mail has.
func TestWalkOddities(t *testing.T) {
	tests := []struct {
		name, msg string
		atts      []string // names
		problems  []string
		phrase    string
	}{
		{
			name:   "LF only, no header in part",
			msg:    "Content-Type: multipart/mixed; boundary=b\n\n--b\nhello there\n--b\nContent-Type: application/pdf; name=a.pdf\n\n%PDF\n--b--\n",
			atts:   []string{"a.pdf"},
			phrase: "hello there",
		},
		{
			name:     "part after the final boundary",
			msg:      "Content-Type: multipart/mixed; boundary=b\n\n--b\n\ntext\n--b--\n--b\nContent-Type: application/zip\n\nPK\n",
			problems: []string{": MIME part after the final boundary"},
		},
		{
			name:     "no boundary parameter",
			msg:      "Content-Type: multipart/mixed\n\nbody text\n",
			problems: []string{": multipart without a boundary"},
			phrase:   "body text",
		},
		{
			name:     "boundary never appears",
			msg:      "Content-Type: multipart/mixed; boundary=zzz\n\nbody text\n",
			problems: []string{": missing final MIME boundary", ": multipart without any part"},
		},
		{
			name:   "unquoted name with spaces and raw UTF-8",
			msg:    "Content-Type: application/pdf; name=請求書 2024年.pdf\nContent-Disposition: attachment; filename=請求書 2024年.pdf\n\n%PDF\n",
			atts:   []string{"請求書 2024年.pdf"},
			phrase: "請求書 2024年.pdf",
		},
		{
			name:   "text without charset in Shift_JIS",
			msg:    "Content-Type: text/plain\n\n" + sjisString(t, "お世話になっております。") + "\n",
			phrase: "お世話になっております。",
		},
		{
			name:   "body labelled ISO-2022-JP but in Shift_JIS",
			msg:    "Content-Type: text/plain; charset=iso-2022-jp\n\n" + sjisString(t, "テスト送信です") + "\n",
			phrase: "テスト送信です",
		},
		{
			name:   "unknown charset hands the text over",
			msg:    "Content-Type: text/plain; charset=x-klingon\n\nplain ascii words\n",
			phrase: "plain ascii words",
		},
		{
			name:   "cp932 and unknown-8bit",
			msg:    "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=cp932\n\n" + sjisString(t, "①丸数字") + "\n--b\nContent-Type: text/plain; charset=unknown-8bit\n\n" + sjisString(t, "不明な文字コード") + "\n--b--\n",
			phrase: "①丸数字",
		},
		{
			name:   "raw ISO-2022-JP subject",
			msg:    "Subject: " + jisString(t, "生のJISの件名") + "\n\nbody\n",
			phrase: "生のJISの件名",
		},
		{
			name:   "quoted-printable with raw ESC (ISO-2022-JP)",
			msg:    "Content-Type: text/plain; charset=iso-2022-jp\nContent-Transfer-Encoding: quoted-printable\n\n" + jisString(t, "こんにちは") + "=\n!\n",
			phrase: "こんにちは!",
		},
		{
			name: "application without a name, signature listed",
			msg:  "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/octet-stream\n\nxx\n--b\nContent-Type: application/pgp-signature\n\n-----BEGIN PGP SIGNATURE-----\n--b--\n",
			atts: []string{"", ""},
		},
		{
			name:     "message/partial",
			msg:      "Content-Type: message/partial; id=\"x\"; number=1; total=2\n\nxx\n",
			problems: []string{"1: message/partial (a fragment of a message) cannot be scanned"},
		},
		{
			name:     "uuencode without end",
			msg:      "Content-Type: text/plain\n\nsee file\nbegin 644 a.bin\n#86)C\n",
			atts:     []string{"a.bin"},
			problems: []string{"1: uuencode block has no end line"},
		},
		{
			name:     "winmail.dat that is not TNEF",
			msg:      "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/ms-tnef; name=winmail.dat\n\nnot tnef at all\n--b--\n",
			atts:     []string{"winmail.dat"},
			problems: []string{"1: TNEF (winmail.dat) could not be read"},
		},
		{
			name: "mbox From line and message/rfc822 in base64",
			msg: "From alice@example.co.jp Tue May 21 10:00:00 2024\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n" +
				b64String("Subject: inner\nContent-Type: application/zip; name=in.zip\n\nPK\n") + "\n--b--\n",
			atts:   []string{"in.zip"},
			phrase: "inner",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := walkString(t, tc.msg, Limits{})
			var names []string
			for _, a := range m.Attachments {
				names = append(names, a.Name)
			}
			if !slices.Equal(names, tc.atts) {
				t.Errorf("attachments %q, want %q", names, tc.atts)
			}
			if got := reasons(m); !slices.Equal(got, tc.problems) {
				t.Errorf("Problems = %q, want %q", got, tc.problems)
			}
			if tc.phrase != "" && !strings.Contains(allText(m), tc.phrase) {
				t.Errorf("no text contains %q:\n%s", tc.phrase, allText(m))
			}
		})
	}
}
