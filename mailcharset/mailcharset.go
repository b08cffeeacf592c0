// Package mailcharset converts the charsets mail is written in to UTF-8,
// Japanese mailers' names for them included (cp932, x-sjis, ISO-2022-JP-MS,
// …), without changing any other package's state: it registers nothing in
// go-message's charset registry and leaves message.CharsetReader alone.
// Callers pass Reader (or WordDecoder) explicitly.
package mailcharset

import (
	"bytes"
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
)

// japaneseNames are the labels Japanese mailers write, by lower-case
// name, beside those go-message's charset package knows (checked against
// v0.18.2).
var japaneseNames = func() map[string]encoding.Encoding {
	m := map[string]encoding.Encoding{}
	for _, n := range []string{
		"cp932", "windows-31j", "ms932", "ms_kanji", "x-ms-cp932", "ibm-943",
		"x-sjis", "sjis", "shift-jis", "shift_jis", "x-shift_jis", "x-shift-jis",
		"shift_jis-2004", "shift_jisx0213", "csshiftjis", "cswindows31j",
	} {
		m[n] = japanese.ShiftJIS
	}
	for _, n := range []string{
		"iso-2022-jp", "iso-2022-jp-1", "iso-2022-jp-2", "iso-2022-jp-3",
		"iso-2022-jp-2004", "iso-2022-jp-ms", "x-iso-2022-jp", "csiso2022jp",
		"csiso2022jp2", "jis", "x-jis",
	} {
		m[n] = japanese.ISO2022JP
	}
	for _, n := range []string{
		"euc-jp", "x-euc-jp", "eucjp", "x-eucjp", "euc-jis-2004", "euc-jisx0213",
		"cseucpkdfmtjapanese", "ujis",
	} {
		m[n] = japanese.EUCJP
	}
	return m
}()

// Japanese returns the encoding of a Japanese charset label, or nil.
func Japanese(label string) encoding.Encoding {
	return japaneseNames[strings.ToLower(strings.TrimSpace(label))]
}

// unlabelled are labels that name no charset: the bytes are handed over
// unchanged (a caller that can guess does so itself).
var unlabelled = map[string]bool{
	"unknown-8bit": true, "x-unknown": true, "unknown": true, "8bit": true,
	"x-user-defined": true, "default": true,
}

// maxEager is the largest input Reader converts at once.
const maxEager = 4096

// Reader returns a reader of in converted from label to UTF-8. A short
// input held in memory (an encoded word) in a Japanese charset is
// converted at once and returned as a *bytes.Reader, which
// mime.WordDecoder copies without a buffer: a streaming reader allocates
// 8 KB of transform buffers (plus io.Copy's 32 KB) per word. Labels that
// name no charset give in unchanged; other charsets are go-message's.
func Reader(label string, in io.Reader) (io.Reader, error) {
	cs := strings.ToLower(strings.TrimSpace(label))
	if unlabelled[cs] {
		return in, nil
	}
	enc := japaneseNames[cs]
	if enc == nil {
		return charset.Reader(cs, in)
	}
	br, ok := in.(*bytes.Reader)
	if !ok || br.Len() > maxEager {
		return enc.NewDecoder().Reader(in), nil
	}
	src := make([]byte, br.Len())
	br.Read(src)
	out, err := enc.NewDecoder().Bytes(src)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(out), nil
}

// WordDecoder decodes RFC 2047 encoded words with Reader.
var WordDecoder = &mime.WordDecoder{CharsetReader: Reader}
