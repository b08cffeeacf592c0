// Package benchmsg makes the messages of the load tool (bench/loadgen) and
// of the relay benchmarks (bench/relay_test.go): a plain ~5 KB Japanese mail
// in ISO-2022-JP, a ~200 KB mail with a password-protected ZIP, and ~50 MB
// mails with a 37 MB encrypted ZIP for the RSS run.
//
// The ZIP attachments are made by the real tools (`zip -P` for ZipCrypto,
// 7-Zip's `7zz`/`7z` for WinZip AES-256) from incompressible pseudo-random
// data with a fixed seed, so sendguard's default policy passes them (every
// entry is encrypted) and their sizes are the same on every run.
package benchmsg

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/text/encoding/japanese"

	"github.com/sendguard/sendguard/bench/wire"
)

// Envelope of every benchmark message: an internal sender and an external
// recipient, so every rule of the default policy applies (full inspection).
const (
	From = "alice@example.co.jp"
	To   = "bob@partner.example.com"
)

// ZipPassword protects the benchmark ZIPs.
const ZipPassword = "Bench-S3cret!"

// Message is one benchmark mail. Each copy sent gets its own Message-ID
// (Reader); the rest of the header and the body are shared.
type Message struct {
	Name string
	// Attachment describes the attachment ("" for none).
	Attachment string
	head       []byte // header fields after Message-ID, and the body
}

// Size is the size of one copy on the wire (before dot-stuffing).
func (m *Message) Size() int { return len(m.prefix(0)) + len(m.head) }

func (m *Message) prefix(seq int64) []byte {
	return fmt.Appendf(nil, "Message-ID: <%020d.%s@loadgen.example.co.jp>\r\n", seq, m.Name)
}

// Reader returns copy number seq of the message.
func (m *Message) Reader(seq int64) io.Reader {
	return io.MultiReader(bytes.NewReader(m.prefix(seq)), bytes.NewReader(m.head))
}

// Parts returns copy number seq as its first header line (its own
// Message-ID, never starting with a dot) and the rest, which every copy
// shares.
func (m *Message) Parts(seq int64) (first, rest []byte) {
	return m.prefix(seq), m.head
}

// NewSender returns the client transaction for m over the load tool's own
// client: MAIL FROM (with SIZE), RCPT TO, DATA with copy seq of m (its own
// Message-ID), up to the answer to the final dot. The shared part of the
// message is dot-stuffed once, here.
func NewSender(m *Message) func(c *wire.Client, seq int64) error {
	stuffed := wire.Stuff(m.head)
	size := m.Size()
	return func(c *wire.Client, seq int64) error {
		return c.Send(From, []string{To}, size, m.prefix(seq), stuffed)
	}
}

// Bytes returns copy number seq of the message as one slice.
func (m *Message) Bytes(seq int64) []byte {
	return append(m.prefix(seq), m.head...)
}

// iso2022jp encodes s (UTF-8) to ISO-2022-JP; each call starts and ends in
// ASCII mode, so call it per line.
func iso2022jp(s string) []byte {
	b, err := japanese.ISO2022JP.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(fmt.Sprintf("benchmsg: ISO-2022-JP encoding of %q: %v", s, err))
	}
	return b
}

// encodedWords is s as RFC 2047 B-encoded ISO-2022-JP words (each under 75
// characters), folded with CRLF SP between words.
func encodedWords(s string) string {
	var words []string
	runes := []rune(s)
	for len(runes) > 0 {
		n := min(len(runes), 12)
		w := "=?ISO-2022-JP?B?" + base64.StdEncoding.EncodeToString(iso2022jp(string(runes[:n]))) + "?="
		words = append(words, w)
		runes = runes[n:]
	}
	return strings.Join(words, "\r\n ")
}

// date is a fixed Date field (the same bytes on every run).
var date = time.Date(2025, 4, 1, 9, 30, 0, 0, time.FixedZone("JST", 9*3600)).Format(time.RFC1123Z)

func header(subject, contentType string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Date: %s\r\n", date)
	fmt.Fprintf(&b, "From: %s <%s>\r\n", encodedWords("山田 花子"), From)
	fmt.Fprintf(&b, "To: %s <%s>\r\n", encodedWords("取引先 太郎様"), To)
	fmt.Fprintf(&b, "Subject: %s\r\n", encodedWords(subject))
	b.WriteString("MIME-Version: 1.0\r\n")
	fmt.Fprintf(&b, "Content-Type: %s\r\n", contentType)
	for _, e := range extra {
		b.WriteString(e + "\r\n")
	}
	b.WriteString("X-Mailer: sendguard-loadgen\r\n\r\n")
	return b.String()
}

// paragraph is the text the Japanese bodies are made of.
var paragraph = []string{
	"いつも大変お世話になっております。",
	"株式会社サンプルの山田でございます。",
	"先日お打ち合わせいたしました件につきまして、お見積書を送付いたします。",
	"ご不明な点がございましたら、お気軽にお問い合わせくださいませ。",
	"なお、個人情報を含むファイルはパスワード付きZIPにてお送りし、",
	"パスワードは別のメールにてご連絡いたします。",
	"引き続きどうぞよろしくお願い申し上げます。",
}

// japaneseBody is about size bytes of ISO-2022-JP text, CRLF line ends.
func japaneseBody(size int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		line := fmt.Sprintf("%03d %s", i+1, paragraph[i%len(paragraph)])
		b.Write(iso2022jp(line))
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n--\r\n")
	b.Write(iso2022jp("山田 花子 / 株式会社サンプル 営業部"))
	b.WriteString("\r\n")
	return b.Bytes()
}

// JA5K is a plain ~5 KB Japanese text mail (ISO-2022-JP, 7bit, RFC 2047
// Subject).
func JA5K() *Message {
	h := header("【ご確認】お見積書送付の件（ベンチマーク）", "text/plain; charset=ISO-2022-JP",
		"Content-Transfer-Encoding: 7bit")
	body := japaneseBody(5*1024 - len(h) - 120)
	return &Message{Name: "ja5k", head: append([]byte(h), body...)}
}

// Kind is how a ZIP attachment is encrypted.
type Kind string

// Encryption kinds.
const (
	ZipCrypto Kind = "zipcrypto" // zip -P
	AES256    Kind = "aes256"    // 7-Zip, -mem=AES256
)

// Zip200K is a ~200 KB mail: a short Japanese text part and a ZipCrypto
// ZIP (zip -P) of 145,000 random bytes. dir is a scratch directory.
func Zip200K(dir string) (*Message, error) {
	return withZip(dir, "zip200k", ZipCrypto, 145_000, 1)
}

// Large is a ~50 MB mail with a ~37 MB encrypted ZIP (37,000,000 random
// bytes, stored), for the RSS run.
func Large(dir string, kind Kind) (*Message, error) {
	return withZip(dir, "large-"+string(kind), kind, 37_000_000, 2)
}

func withZip(dir, name string, kind Kind, payload int, seed uint64) (*Message, error) {
	zipPath, err := MakeZip(dir, name, kind, payload, seed)
	if err != nil {
		return nil, err
	}
	z, err := os.ReadFile(zipPath)
	if err != nil {
		return nil, err
	}
	boundary := "----=_sendguard_loadgen_" + name
	var b bytes.Buffer
	b.WriteString(header("【個人情報】名簿送付の件（パスワードは別送）",
		`multipart/mixed; boundary="`+boundary+`"`))
	b.WriteString("This is a multi-part message in MIME format.\r\n\r\n")
	b.WriteString("--" + boundary + "\r\n")
	b.WriteString("Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n")
	b.Write(japaneseBody(1200))
	b.WriteString("\r\n--" + boundary + "\r\n")
	fname := encodedWords("名簿_2025年4月.zip")
	fmt.Fprintf(&b, "Content-Type: application/x-zip-compressed;\r\n name=\"%s\"\r\n", fname)
	b.WriteString("Content-Transfer-Encoding: base64\r\n")
	fmt.Fprintf(&b, "Content-Disposition: attachment;\r\n filename=\"%s\"\r\n\r\n", fname)
	enc := base64.StdEncoding.EncodeToString(z)
	b.Grow(len(enc) + len(enc)/76*2 + 256)
	for i := 0; i < len(enc); i += 76 {
		b.WriteString(enc[i:min(i+76, len(enc))])
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")
	desc := fmt.Sprintf("%s ZIP, %d bytes (%d random bytes inside)", kindName(kind), len(z), payload)
	return &Message{Name: name, Attachment: desc, head: b.Bytes()}, nil
}

func kindName(k Kind) string {
	if k == AES256 {
		return "WinZip AES-256"
	}
	return "ZipCrypto"
}

// MakeZip writes payload pseudo-random bytes (seeded) to a file and packs
// it into DIR/NAME.zip with the tool for kind; it returns the ZIP's path.
func MakeZip(dir, name string, kind Kind, payload int, seed uint64) (string, error) {
	work, err := os.MkdirTemp(dir, name+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	data := make([]byte, payload)
	r := rand.NewChaCha8([32]byte{byte(seed), 's', 'e', 'n', 'd', 'g', 'u', 'a', 'r', 'd'})
	r.Read(data)
	src := filepath.Join(work, "meibo.dat")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		return "", err
	}
	out := filepath.Join(dir, name+".zip")
	os.Remove(out)
	var cmd *exec.Cmd
	switch kind {
	case ZipCrypto:
		zipBin, err := exec.LookPath("zip")
		if err != nil {
			return "", fmt.Errorf("zip not installed (apt-get install zip): %w", err)
		}
		// -X: no extra fields with times and ids; random data is stored
		// by zip itself since deflate does not shrink it.
		cmd = exec.Command(zipBin, "-q", "-X", "-j", "-P", ZipPassword, out, src)
	case AES256:
		sevenZip := ""
		for _, n := range []string{"7zz", "7z", "7za"} {
			if p, err := exec.LookPath(n); err == nil {
				sevenZip = p
				break
			}
		}
		if sevenZip == "" {
			return "", fmt.Errorf("7-Zip not installed (apt-get install 7zip or p7zip-full)")
		}
		cmd = exec.Command(sevenZip, "a", "-tzip", "-mem=AES256", "-mx=0", "-p"+ZipPassword,
			"-bso0", "-bsp0", out, src)
	default:
		return "", fmt.Errorf("unknown ZIP kind %q", kind)
	}
	if o, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args[:2], " "), err, o)
	}
	return out, nil
}

// Dial opens a client connection to addr and says EHLO.
func Dial(addr string) (*smtp.Client, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	c := smtp.NewClient(conn)
	c.CommandTimeout = 60 * time.Second
	c.SubmissionTimeout = 5 * time.Minute
	if err := c.Hello("loadgen.example.co.jp"); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Send is one client transaction: MAIL FROM (with SIZE), RCPT TO, DATA with
// copy seq of msg, up to the server's answer to the final dot. The caller
// sends RSET before the next one.
func Send(c *smtp.Client, msg *Message, seq int64) error {
	if err := c.Mail(From, &smtp.MailOptions{Size: int64(msg.Size())}); err != nil {
		return fmt.Errorf("MAIL: %w", err)
	}
	if err := c.Rcpt(To, nil); err != nil {
		return fmt.Errorf("RCPT: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := io.Copy(w, msg.Reader(seq)); err != nil {
		w.Close()
		return fmt.Errorf("DATA upload: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("end of DATA: %w", err)
	}
	return nil
}
