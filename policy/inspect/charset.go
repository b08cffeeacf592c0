package inspect

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
)

// Charset names that Japanese mailers write but go-message's charset package
// does not know (checked against v0.18.2), registered lower case.
func init() {
	for _, n := range []string{
		"cp932", "windows-31j", "ms932", "ms_kanji", "x-ms-cp932", "ibm-943",
		"x-sjis", "sjis", "shift-jis", "shift_jis", "x-shift_jis", "x-shift-jis",
		"shift_jis-2004", "shift_jisx0213", "csshiftjis", "cswindows31j",
	} {
		registerEncoding(n, japanese.ShiftJIS)
	}
	for _, n := range []string{
		"iso-2022-jp", "iso-2022-jp-1", "iso-2022-jp-2", "iso-2022-jp-3",
		"iso-2022-jp-2004", "iso-2022-jp-ms", "x-iso-2022-jp", "csiso2022jp",
		"csiso2022jp2", "jis", "x-jis",
	} {
		registerEncoding(n, japanese.ISO2022JP)
	}
	for _, n := range []string{
		"euc-jp", "x-euc-jp", "eucjp", "x-eucjp", "euc-jis-2004", "euc-jisx0213",
		"cseucpkdfmtjapanese", "ujis",
	} {
		registerEncoding(n, japanese.EUCJP)
	}
	// "Unknown" charsets hand the bytes over unchanged (for other users of
	// go-message); this package guesses among UTF-8 and the Japanese
	// encodings instead (guessCharsets).
	for n := range guessCharsets {
		if n != "" && n != "utf-8" && n != "utf8" {
			charset.RegisterEncoding(n, encoding.Nop)
		}
	}
	streaming := message.CharsetReader
	message.CharsetReader = func(cs string, in io.Reader) (io.Reader, error) {
		return wordCharsetReader(streaming, cs, in)
	}
}

// japaneseEncodings are the charsets registered above, by lower-case name.
var japaneseEncodings = map[string]encoding.Encoding{}

func registerEncoding(name string, enc encoding.Encoding) {
	charset.RegisterEncoding(name, enc)
	japaneseEncodings[name] = enc
}

// maxEagerDecode is the largest input wordCharsetReader converts at once.
const maxEagerDecode = 4096

// wordCharsetReader is go-message's charset hook (message.CharsetReader,
// which its header decoding and mail.Header's address parser use for RFC
// 2047 words). A short input held in memory (an encoded word) in a Japanese
// charset is converted at once and handed back as a *bytes.Reader, which
// mime.WordDecoder copies without a buffer: the streaming reader it replaces
// allocated 8 KB of transform buffers plus io.Copy's 32 KB for every word,
// about 40 % of what a message cost in allocations. The text is the same:
// the decoder is the same and sees the same whole input.
func wordCharsetReader(streaming func(string, io.Reader) (io.Reader, error), cs string, in io.Reader) (io.Reader, error) {
	br, ok := in.(*bytes.Reader)
	enc := japaneseEncodings[strings.ToLower(cs)]
	if !ok || enc == nil || br.Len() > maxEagerDecode {
		return streaming(cs, in)
	}
	src := make([]byte, br.Len())
	br.Read(src)
	out, err := enc.NewDecoder().Bytes(src)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(out), nil
}

// guessCharsets are labels that say nothing reliable: the text is decoded by
// guessing (UTF-8 when valid, else ISO-2022-JP, Shift_JIS or EUC-JP). UTF-8
// is here because Japanese mail labelled UTF-8 is sometimes Shift_JIS.
var guessCharsets = map[string]bool{
	"": true, "utf-8": true, "utf8": true, "unknown-8bit": true, "x-unknown": true,
	"unknown": true, "8bit": true, "x-user-defined": true, "default": true,
}

// sevenBitCharsets are charsets whose text never has a byte >= 0x80; a body
// labelled with one of them that has such bytes is mislabelled (Becky! and
// others send Shift_JIS labelled ISO-2022-JP) and is decoded by guessing.
var sevenBitCharsets = map[string]bool{
	"us-ascii": true, "ascii": true, "iso-2022-jp": true, "csiso2022jp": true,
	"iso-2022-jp-1": true, "iso-2022-jp-2": true, "iso-2022-jp-3": true, "jis": true,
}

// decodeText converts b, labelled with charset cs ("" when none), to UTF-8.
// It never fails: an unknown or wrong label falls back to guessing.
func decodeText(b []byte, cs string) string {
	cs = strings.ToLower(strings.TrimSpace(cs))
	switch {
	case guessCharsets[cs]:
		return decodeGuess(b)
	case sevenBitCharsets[cs] && hasHighBit(b):
		return decodeGuess(b)
	case sevenBitCharsets[cs] && !bytes.Contains(b, []byte{0x1b}):
		return string(b)
	}
	var out []byte
	if enc := japaneseEncodings[cs]; enc != nil {
		// The whole text is here: convert it at once (what the streaming
		// reader below gives, without its buffers).
		var err error
		if out, err = enc.NewDecoder().Bytes(b); err != nil {
			return decodeGuess(b)
		}
	} else {
		r, err := message.CharsetReader(cs, bytes.NewReader(b))
		if err != nil || r == nil {
			return decodeGuess(b)
		}
		if out, err = io.ReadAll(r); err != nil {
			return decodeGuess(b)
		}
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

func hasHighBit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// guessEncoding picks the encoding of unlabelled text: ISO-2022-JP when it
// has JIS escape sequences, UTF-8 when valid (nil), else EUC-JP or Shift_JIS
// (CP932), whichever decodes cleanly and fits the byte pattern better.
func guessEncoding(b []byte) encoding.Encoding {
	if bytes.Contains(b, []byte("\x1b$B")) || bytes.Contains(b, []byte("\x1b$@")) || bytes.Contains(b, []byte("\x1b(J")) || bytes.Contains(b, []byte("\x1b(I")) {
		if !hasHighBit(b) {
			return japanese.ISO2022JP
		}
	}
	if utf8.Valid(b) {
		return nil
	}
	sjisOK := cleanDecode(japanese.ShiftJIS, b)
	eucOK := cleanDecode(japanese.EUCJP, b)
	// Shift_JIS lead bytes 0x81-0x9F never occur in EUC-JP (except the
	// single-shift 0x8E/0x8F); hiragana, katakana and most kanji use them.
	sjisLead := false
	for _, c := range b {
		if c >= 0x80 && c <= 0xA0 && c != 0x8E && c != 0x8F {
			sjisLead = true
			break
		}
	}
	switch {
	case eucOK && !sjisLead:
		return japanese.EUCJP
	case sjisOK:
		return japanese.ShiftJIS
	case eucOK:
		return japanese.EUCJP
	}
	return japanese.ShiftJIS
}

func cleanDecode(enc encoding.Encoding, b []byte) bool {
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return false
	}
	return !bytes.ContainsRune(out, utf8.RuneError)
}

// decodeGuess converts unlabelled bytes to UTF-8 (see guessEncoding).
func decodeGuess(b []byte) string {
	enc := guessEncoding(b)
	if enc == nil {
		return string(b)
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

// decodeLooseString fixes a header value that go-message left undecoded: raw
// 8-bit Shift_JIS/EUC-JP, or raw ISO-2022-JP escape sequences.
func decodeLooseString(s string) string {
	if utf8.ValidString(s) && !strings.Contains(s, "\x1b") {
		return s
	}
	return decodeGuess([]byte(s))
}
