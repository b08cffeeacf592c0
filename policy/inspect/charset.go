package inspect

import (
	"bytes"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/sendguard/sendguard/mailcharset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
)

// charsetReader converts a labelled text to UTF-8 (mailcharset.Reader:
// Japanese mailers' labels included, no global state touched).
func charsetReader(cs string, in io.Reader) (io.Reader, error) { return mailcharset.Reader(cs, in) }

// wordDecoder decodes RFC 2047 encoded words with charsetReader.
var wordDecoder = mailcharset.WordDecoder

// headerText decodes the encoded words of a header field (what
// message.Header.Text does, with the explicit charset reader): on an error
// the raw value comes back with it.
func headerText(h message.Header, key string) (string, error) {
	v := h.Get(key)
	d, err := wordDecoder.DecodeHeader(v)
	if err != nil {
		return v, err
	}
	return d, nil
}

// mediaParams parses a Content-Type or Content-Disposition value and
// decodes encoded words in its parameters (what go-message's
// ContentType/ContentDisposition do, with the explicit charset reader).
func mediaParams(v string) (string, map[string]string, error) {
	if v == "" {
		return "", map[string]string{}, nil
	}
	f, params, err := mime.ParseMediaType(v)
	if err != nil {
		return v, map[string]string{}, err
	}
	for k, p := range params {
		if d, err := wordDecoder.DecodeHeader(p); err == nil {
			params[k] = d
		}
	}
	return f, params, nil
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
	if enc := mailcharset.Japanese(cs); enc != nil {
		// The whole text is here: convert it at once (what the streaming
		// reader below gives, without its buffers).
		var err error
		if out, err = enc.NewDecoder().Bytes(b); err != nil {
			return decodeGuess(b)
		}
	} else {
		r, err := charsetReader(cs, bytes.NewReader(b))
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
