package secret

import (
	"unicode"
	"unicode/utf8"
)

// Character classes used by the scanners. They are applied to NFKC text,
// where full-width ASCII has become ASCII.

func asciiAlnum(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

func asciiLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

func katakana(r rune) bool {
	return r >= 0x30A1 && r <= 0x30FA || r >= 0x30FC && r <= 0x30FE || r >= 0x31F0 && r <= 0x31FF
}

func han(r rune) bool {
	return r >= 0x3400 && r <= 0x4DBF || r >= 0x4E00 && r <= 0x9FFF || r >= 0xF900 && r <= 0xFAFF ||
		r >= 0x20000 && r <= 0x3FFFF || r == 0x3005 || r == 0x3006 || r == 0x3007
}

// japaneseLetter reports kana and kanji (with ー, 々, 〆, 〇).
func japaneseLetter(r rune) bool {
	return r >= 0x3041 && r <= 0x309F || katakana(r) || han(r)
}

// separatorRune reports punctuation and symbols that are never part of a
// value or a token: Japanese punctuation and brackets (、。「」『』【】〈〉・…),
// typographic quotes and dashes, arrows, box drawing and bullets (■◆●★),
// emoji and U+FFFD.
func separatorRune(r rune) bool {
	switch {
	case r >= 0x3000 && r <= 0x303F:
		return r < 0x3005 || r > 0x3007
	case r == 0x30FB, // ・
		r == 0x30A0,
		r >= 0xFE30 && r <= 0xFE4F,
		r >= 0xFF00 && r <= 0xFFEF, // what NFKC leaves of the half- and full-width forms
		r >= 0x2010 && r <= 0x205E, // general punctuation: ‐ ― ‘ ’ “ ” • ‥ … ※
		r >= 0x2190 && r <= 0x21FF, // arrows
		r >= 0x2300 && r <= 0x23FF,
		r >= 0x2460 && r <= 0x27BF, // enclosed alphanumerics, box drawing, shapes, symbols, dingbats
		r >= 0x2B00 && r <= 0x2BFF,
		r >= 0x1F000 && r <= 0x1FAFF, // emoji
		r == 0xAB || r == 0xBB || r == 0xA7 || r == 0xB6 || r == 0xB7,
		r == utf8.RuneError:
		return true
	}
	return false
}

// valueRune reports the characters a password is made of: anything visible
// that is not Japanese text, a separator or a space. Full-width letters and
// digits are ASCII after NFKC.
func valueRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r > ' ' && r < 0x7F
	}
	if japaneseLetter(r) || separatorRune(r) {
		return false // the common case in Japanese text, without table look-ups
	}
	return !unicode.IsSpace(r) && !unicode.IsControl(r) && !unicode.Is(unicode.Mn, r) && !unicode.Is(unicode.Cf, r)
}

// spaceRune reports Unicode White_Space.
func spaceRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || r >= '\t' && r <= '\r'
	}
	return r == 0x85 || r == 0xA0 || r == 0x1680 || r >= 0x2000 && r <= 0x200A || r == 0x2028 ||
		r == 0x2029 || r == 0x202F || r == 0x205F || r == 0x3000
}

// spaceAt reports whether the character at s[i:] (valid UTF-8) is a
// spaceRune, and its length. Only characters with the lead bytes of the
// spaces are decoded.
func spaceAt(s string, i int) (size int, space bool) {
	c := s[i]
	switch {
	case c < utf8.RuneSelf:
		return 1, c == ' ' || c >= '\t' && c <= '\r'
	case c == 0xC2 || c == 0xE1 || c == 0xE2 || c == 0xE3: // U+0085, U+00A0, U+1680, U+2000–U+205F, U+3000
		r, size := decodeAt(s, i)
		return size, spaceRune(r)
	}
	return runeLen(c), false
}

// decodeAt decodes the character at s[i:], which must be valid UTF-8
// (prepared text is).
func decodeAt(s string, i int) (rune, int) {
	c := s[i]
	switch {
	case c < utf8.RuneSelf:
		return rune(c), 1
	case c >= 0xC0 && c < 0xE0 && i+2 <= len(s):
		return rune(c&0x1F)<<6 | rune(s[i+1]&0x3F), 2
	case c >= 0xE0 && c < 0xF0 && i+3 <= len(s):
		return rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F), 3
	case c >= 0xF0 && i+4 <= len(s):
		return rune(c&0x07)<<18 | rune(s[i+1]&0x3F)<<12 | rune(s[i+2]&0x3F)<<6 | rune(s[i+3]&0x3F), 4
	}
	return utf8.RuneError, 1
}

// openers and their closers: a value may be enclosed ("「abc」", "(abc)").
var closers = map[rune]rune{
	'「': '」', '『': '』', '【': '】', '〔': '〕', '〈': '〉', '《': '》', '〖': '〗',
	'"': '"', '\'': '\'', '`': '`', '(': ')', '[': ']', '<': '>', '{': '}',
	'“': '”', '‘': '’', '«': '»',
}

func isCloser(r rune) bool {
	switch r {
	case '」', '』', '】', '〕', '〉', '》', '〗', ')', ']', '>', '}', '”', '’', '»':
		return true
	}
	return false
}

// runeLen is the length of the UTF-8 sequence that starts with c.
func runeLen(c byte) int {
	switch {
	case c < 0xC0:
		return 1
	case c < 0xE0:
		return 2
	case c < 0xF0:
		return 3
	}
	return 4
}

// runeCount is utf8.RuneCountInString for valid UTF-8 (prepared text is):
// the bytes that are not continuation bytes.
func runeCount(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i]&0xC0 != 0x80 {
			n++
		}
	}
	return n
}
