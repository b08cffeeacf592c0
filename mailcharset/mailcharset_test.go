package mailcharset

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
)

// The eager conversion of short inputs gives what the streaming reader
// gives, for good and broken input in every Japanese charset.
func TestEagerMatchesStreaming(t *testing.T) {
	inputs := [][]byte{
		[]byte("\x1b$B$3$s$K$A$O\x1b(B"),                   // ISO-2022-JP こんにちは
		[]byte("\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd"), // Shift_JIS
		[]byte("\xa4\xb3\xa4\xf3\xa4\xcb\xa4\xc1\xa4\xcf"), // EUC-JP
		[]byte("\x1b$B$3$s"),                               // cut off in JIS mode
		[]byte("\x82"),                                     // a lone lead byte
		[]byte("\xff\xfe\x00\x80plain"),
		[]byte(""),
		bytes.Repeat([]byte("\x1b$B$3\x1b(B"), 800), // over maxEager: streamed
	}
	for _, cs := range []string{"iso-2022-jp", "shift_jis", "cp932", "euc-jp"} {
		for _, in := range inputs {
			r, err := Reader(strings.ToUpper(cs), bytes.NewReader(in))
			if err != nil {
				t.Fatalf("%s %q: %v", cs, in, err)
			}
			got, gerr := io.ReadAll(r)
			want, werr := io.ReadAll(Japanese(cs).NewDecoder().Reader(bytes.NewReader(in)))
			if !bytes.Equal(got, want) || (gerr == nil) != (werr == nil) {
				t.Errorf("%s %.40q: %q (%v), streaming %q (%v)", cs, in, got, gerr, want, werr)
			}
			if _, eager := r.(*bytes.Reader); eager != (len(in) <= maxEager) {
				t.Errorf("%s, %d bytes: eager %v", cs, len(in), eager)
			}
		}
	}
}

// Japanese mailers' labels decode; nothing global changes: go-message's
// CharsetReader is still its charset package's, and its registry still
// does not know the labels only this package knows.
func TestLabelsWithoutGlobalState(t *testing.T) {
	for _, c := range []struct{ label, in, want string }{
		{"CP932", "\x82\xb1\x82\xf1", "こん"},
		{"x-sjis", "\x82\xb1\x82\xf1", "こん"},
		{"ISO-2022-JP-MS", "\x1b$B$3$s\x1b(B", "こん"},
		{"eucJP", "\xa4\xb3\xa4\xf3", "こん"},
		{"utf-8", "こん", "こん"},
		{"unknown-8bit", "\x82\xb1", "\x82\xb1"},
	} {
		r, err := Reader(c.label, bytes.NewReader([]byte(c.in)))
		if err != nil {
			t.Fatalf("%s: %v", c.label, err)
		}
		got, _ := io.ReadAll(r)
		if string(got) != c.want {
			t.Errorf("%s: %q, want %q", c.label, got, c.want)
		}
	}
	if d, err := WordDecoder.DecodeHeader("=?x-sjis?B?grGC8Q==?= =?ISO-2022-JP?B?GyRCJDMkcxsoQg==?="); err != nil || d != "こんこん" {
		t.Errorf("words: %q %v", d, err)
	}
	if reflect.ValueOf(message.CharsetReader).Pointer() != reflect.ValueOf(charset.Reader).Pointer() {
		t.Error("message.CharsetReader was replaced")
	}
	for _, alias := range []string{"cp932", "iso-2022-jp-ms", "x-unknown"} {
		if _, err := charset.Reader(alias, strings.NewReader("x")); err == nil {
			t.Errorf("%s was registered in go-message's charset registry", alias)
		}
	}
}
