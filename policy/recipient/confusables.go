package recipient

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Confusables skeleton for the lookalike check.
//
// Source: Unicode Technical Standard #39 "Unicode Security Mechanisms",
// data file confusables.txt (https://www.unicode.org/Public/security/latest/confusables.txt,
// Unicode License v3), entries of type MA whose source is a lower-case or
// caseless Latin, Greek, Cyrillic or Armenian letter and whose prototype is
// a single ASCII letter. The entries were checked against a copy of that file
// (2019 revision) in which, for example, "0430 ; 0061 ; MA # ( а → a )
// CYRILLIC SMALL LETTER A → LATIN SMALL LETTER A". Only lower-case sources
// are listed because every domain has passed the IDNA (UTS #46) mapping,
// which folds case and maps fullwidth forms to ASCII, before it gets here.
//
// Also from TR39: "m" → "rn" (0x6D ; 0072 006E) and "1" → "l" (0031 ; 006C);
// the skeleton rewrites "m" as "rn" so that "rn"/"m" compare equal.
//
// Project extensions, not TR39 prototypes (TR39 maps 0 to capital O, and
// does not list these pairs), added because they are the usual typosquatting
// substitutions (as in dnstwist): "0" → "o", "vv" ↔ "w" (the skeleton writes
// "w" as "vv"), "cl" ↔ "d" (the skeleton writes "d" as "cl"). Diacritics are
// removed (NFKD, then combining marks dropped) so that "exámple" and "example"
// share a skeleton. Fullwidth ASCII (U+FF01..U+FF5E), which IDNA already maps,
// is folded by NFKD here too in case a name bypassed IDNA.
//
// To refresh: regenerate confusableMap from the current confusables.txt with
// the filter above; keep the test TestSkeleton in step.
var confusableMap = map[rune]string{
	// Latin
	'ɑ': "a", // 0251 LATIN SMALL LETTER ALPHA
	'ſ': "f", // 017F LATIN SMALL LETTER LONG S
	'ɡ': "g", // 0261 LATIN SMALL LETTER SCRIPT G
	'ƍ': "g", // 018D LATIN SMALL LETTER TURNED DELTA
	'ı': "i", // 0131 LATIN SMALL LETTER DOTLESS I
	'ɪ': "i", // 026A LATIN LETTER SMALL CAPITAL I
	'ɩ': "i", // 0269 LATIN SMALL LETTER IOTA
	'ǀ': "l", // 01C0 LATIN LETTER DENTAL CLICK
	'ᴄ': "c", // 1D04 LATIN LETTER SMALL CAPITAL C
	'ᴏ': "o", // 1D0F LATIN LETTER SMALL CAPITAL O
	'ᴑ': "o", // 1D11 LATIN SMALL LETTER SIDEWAYS O
	'ƽ': "s", // 01BD LATIN SMALL LETTER TONE FIVE
	'ᴜ': "u", // 1D1C LATIN LETTER SMALL CAPITAL U
	'ʋ': "u", // 028B LATIN SMALL LETTER V WITH HOOK
	'ᴠ': "v", // 1D20 LATIN LETTER SMALL CAPITAL V
	'ɯ': "w", // 026F LATIN SMALL LETTER TURNED M
	'ᴡ': "w", // 1D21 LATIN LETTER SMALL CAPITAL W
	'ɣ': "y", // 0263 LATIN SMALL LETTER GAMMA
	'ʏ': "y", // 028F LATIN LETTER SMALL CAPITAL Y
	'ᴢ': "z", // 1D22 LATIN LETTER SMALL CAPITAL Z
	// Greek
	'α': "a", // 03B1 GREEK SMALL LETTER ALPHA
	'ϲ': "c", // 03F2 GREEK LUNATE SIGMA SYMBOL
	'ι': "i", // 03B9 GREEK SMALL LETTER IOTA
	'ϳ': "j", // 03F3 GREEK LETTER YOT
	'ο': "o", // 03BF GREEK SMALL LETTER OMICRON
	'σ': "o", // 03C3 GREEK SMALL LETTER SIGMA
	'ρ': "p", // 03C1 GREEK SMALL LETTER RHO
	'ϱ': "p", // 03F1 GREEK RHO SYMBOL
	'ᴦ': "r", // 1D26 GREEK LETTER SMALL CAPITAL GAMMA
	'υ': "u", // 03C5 GREEK SMALL LETTER UPSILON
	'ν': "v", // 03BD GREEK SMALL LETTER NU
	'γ': "y", // 03B3 GREEK SMALL LETTER GAMMA
	// Cyrillic
	'а': "a", // 0430 CYRILLIC SMALL LETTER A
	'с': "c", // 0441 CYRILLIC SMALL LETTER ES
	'ԁ': "d", // 0501 CYRILLIC SMALL LETTER KOMI DE
	'е': "e", // 0435 CYRILLIC SMALL LETTER IE
	'ҽ': "e", // 04BD CYRILLIC SMALL LETTER ABKHASIAN CHE
	'һ': "h", // 04BB CYRILLIC SMALL LETTER SHHA
	'і': "i", // 0456 CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I
	'ӏ': "i", // 04CF CYRILLIC SMALL LETTER PALOCHKA (TR39 2019: → i)
	'ј': "j", // 0458 CYRILLIC SMALL LETTER JE
	'о': "o", // 043E CYRILLIC SMALL LETTER O
	'р': "p", // 0440 CYRILLIC SMALL LETTER ER
	'ԛ': "q", // 051B CYRILLIC SMALL LETTER QA
	'г': "r", // 0433 CYRILLIC SMALL LETTER GHE
	'ѕ': "s", // 0455 CYRILLIC SMALL LETTER DZE
	'ѵ': "v", // 0475 CYRILLIC SMALL LETTER IZHITSA
	'ѡ': "w", // 0461 CYRILLIC SMALL LETTER OMEGA
	'ԝ': "w", // 051D CYRILLIC SMALL LETTER WE
	'х': "x", // 0445 CYRILLIC SMALL LETTER HA
	'у': "y", // 0443 CYRILLIC SMALL LETTER U
	'ү': "y", // 04AF CYRILLIC SMALL LETTER STRAIGHT U
	// Armenian
	'հ': "h", // 0570 ARMENIAN SMALL LETTER HO
	'ո': "n", // 0578 ARMENIAN SMALL LETTER VO
	'ռ': "n", // 057C ARMENIAN SMALL LETTER RA
	'օ': "o", // 0585 ARMENIAN SMALL LETTER OH
	'ք': "f", // 0584 ARMENIAN SMALL LETTER KEH
	'ց': "g", // 0581 ARMENIAN SMALL LETTER CO
	'գ': "q", // 0563 ARMENIAN SMALL LETTER GIM
	'զ': "q", // 0566 ARMENIAN SMALL LETTER ZA
	'ս': "u", // 057D ARMENIAN SMALL LETTER SEH
	'ա': "w", // 0561 ARMENIAN SMALL LETTER AYB
	// ASCII: TR39 (1 → l, m → rn) and project extensions (0 → o, w → vv,
	// d → cl).
	'1': "l",
	'0': "o",
	'm': "rn",
	'w': "vv",
	'd': "cl",
}

// asciiConfusable is confusableMap for ASCII, as an array.
var asciiConfusable = func() (t [utf8.RuneSelf]string) {
	for r, m := range confusableMap {
		if r < utf8.RuneSelf {
			t[r] = m
		}
	}
	return t
}()

// skeleton maps a label (Unicode, lower-case) to a form in which visually
// confusable labels are equal. It is not reversible and is only compared
// with other skeletons.
func skeleton(s string) string {
	ascii := isASCII(s)
	if !ascii {
		s = norm.NFKD.String(s)
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for _, r := range s {
		if !ascii && unicode.Is(unicode.Mn, r) {
			continue // diacritics
		}
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		} else if r >= utf8.RuneSelf {
			r = unicode.ToLower(r)
		}
		if r < utf8.RuneSelf {
			if m := asciiConfusable[r]; m != "" {
				b.WriteString(m)
				continue
			}
		} else if m, ok := confusableMap[r]; ok {
			b.WriteString(m)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
