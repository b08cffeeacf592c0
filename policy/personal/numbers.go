package personal

import "strings"

// Keywords (lower case) that make a single number a マイナンバー or a card
// number, and labels that say a grouped number is something else.
var (
	myNumberKeywords = []string{"個人番号", "マイナンバー", "my number", "mynumber", "individual number", "番号確認", "通知カード"}
	cardKeywords     = []string{"カード番号", "クレジット", "card number", "card no", "credit card", "有効期限", "expiry", "exp.", "cvv", "cvc", "セキュリティコード"}
	notCardLabels    = []string{"注文番号", "受注番号", "伝票番号", "お問い合わせ番号", "問合せ番号", "追跡番号", "請求書番号", "order", "tracking", "invoice", "法人番号"}
)

// maxNumberDigits bounds a candidate: longer digit runs are not numbers of
// these kinds (and are skipped whole).
const maxNumberDigits = 19

// number is a run of digit groups joined by single spaces or hyphens.
type number struct {
	digits     [maxNumberDigits]byte
	n          int
	groups     [6]int8
	ngroups    int
	start, end int
}

func (nm *number) value() string { return string(nm.digits[:nm.n]) }

// shape reports the group lengths as cards and Individual Numbers are
// written: one block, 4-4-4, 4-4-4-4, 4-4-4-4-3, 4-6-5, 4-6-4.
func (nm *number) shape() (single, myNumberGroups, cardGroups bool) {
	g := nm.groups[:nm.ngroups]
	eq := func(want ...int8) bool {
		if len(g) != len(want) {
			return false
		}
		for i := range want {
			if g[i] != want[i] {
				return false
			}
		}
		return true
	}
	return len(g) == 1, eq(4, 4, 4), eq(4, 4, 4, 4) || eq(4, 4, 4, 4, 3) || eq(4, 6, 5) || eq(4, 6, 4)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// nextNumber finds the next candidate at or after i. A candidate stands
// alone: no letter or digit touches it, and it is not part of a decimal,
// an amount with thousands separators, a date or a path.
func nextNumber(text string, i int, nm *number) (int, bool) {
	for i < len(text) {
		for i < len(text) && !isDigit(text[i]) {
			i++
		}
		if i == len(text) {
			return i, false
		}
		start := i
		ok := true
		if start > 0 {
			p := text[start-1]
			if isAlnum(p) || p == '_' {
				ok = false
			}
			if (p == '.' || p == ',' || p == '/' || p == '-' || p == ':') && start > 1 && isAlnum(text[start-2]) {
				ok = false
			}
		}
		*nm = number{start: start}
		for i < len(text) {
			k := i
			for k < len(text) && isDigit(text[k]) {
				k++
			}
			glen := k - i
			if nm.n+glen > maxNumberDigits || nm.ngroups == len(nm.groups) {
				ok = false
			} else {
				copy(nm.digits[nm.n:], text[i:k])
				nm.n += glen
				nm.groups[nm.ngroups] = int8(glen)
				nm.ngroups++
			}
			i = k
			if n := separatorLen(text[i:]); n > 0 && i+n < len(text) && isDigit(text[i+n]) {
				i += n
				continue
			}
			break
		}
		nm.end = i
		if i < len(text) {
			c := text[i]
			if isAlnum(c) || c == '_' {
				ok = false
			}
			if (c == '.' || c == ',' || c == '/' || c == ':') && i+1 < len(text) && isDigit(text[i+1]) {
				ok = false
			}
		}
		// Skip the rest of a run that touched a letter or digit.
		for i < len(text) && (isAlnum(text[i]) || text[i] == '_') {
			i++
		}
		if ok {
			return i, true
		}
	}
	return i, false
}

// separatorLen is the length of the group separator at the start of s:
// a space, hyphen or dot, or a character that shows nothing (zero-width
// space, joiners, word joiner, BOM) that a sender may slip between digits.
// The shapes a number must have keep dates and decimals out.
func separatorLen(s string) int {
	if s == "" {
		return 0
	}
	switch s[0] {
	case ' ', '-', '.':
		return 1
	case 0xE2, 0xEF:
		for _, z := range []string{"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"} {
			if strings.HasPrefix(s, z) {
				return len(z)
			}
		}
	}
	return 0
}

// myNumberWeights are the official check digit weights for the 11 digits
// from the right (行政手続における特定の個人を識別するための番号の利用等に関する法律施行令 第8条).
func myNumberValid(d []byte) bool {
	if len(d) != 12 {
		return false
	}
	sum := 0
	for n := 1; n <= 11; n++ {
		p := int(d[11-n] - '0')
		q := n + 1
		if n >= 7 {
			q = n - 5
		}
		sum += p * q
	}
	r := sum % 11
	check := 0
	if r > 1 {
		check = 11 - r
	}
	return int(d[11]-'0') == check
}

// luhnValid reports whether the digits pass the Luhn check.
func luhnValid(d []byte) bool {
	sum, double := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// issuerKnown reports whether the digits start with a card issuer's prefix
// with a length that issuer uses (Visa, Mastercard, American Express, JCB,
// Diners Club, Discover, UnionPay).
func issuerKnown(d []byte) bool {
	n := len(d)
	p := func(k int) int {
		v := 0
		for _, c := range d[:k] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	switch {
	case d[0] == '4':
		return n == 13 || n == 16 || n == 19
	case p(2) >= 51 && p(2) <= 55, p(4) >= 2221 && p(4) <= 2720:
		return n == 16
	case p(2) == 34 || p(2) == 37:
		return n == 15
	case p(4) >= 3528 && p(4) <= 3589:
		return n >= 16 && n <= 19
	case p(3) >= 300 && p(3) <= 305, p(2) == 36, p(2) == 38:
		return n >= 14 && n <= 19
	case p(4) == 6011, p(2) == 65, p(3) >= 644 && p(3) <= 649:
		return n >= 16 && n <= 19
	case p(2) == 62:
		return n >= 16 && n <= 19
	}
	return false
}

// scanNumbers adds the Individual Numbers and card numbers of text to the
// tallies. A single Individual Number needs a keyword nearby; a list of
// them needs none when nearly every 12-digit number in the text is valid
// (random 12-digit numbers pass the check one time in about eleven).
func scanNumbers(text, where string, myNum, card *tally) {
	var nm number
	var valid []number
	twelve := 0
	for i := 0; i < len(text); {
		var ok bool
		i, ok = nextNumber(text, i, &nm)
		if !ok {
			break
		}
		d := nm.digits[:nm.n]
		single, mnGroups, cardGroups := nm.shape()
		if nm.n == 12 && (single || mnGroups) {
			twelve++
			if myNumberValid(d) {
				valid = append(valid, nm)
				if keywordNear(text, nm.start, nm.end, myNumberKeywords) {
					v := nm.value()
					myNum.add(v, Mask(v), where)
				}
			}
			continue
		}
		if nm.n >= 13 && nm.n <= 19 && issuerKnown(d) && luhnValid(d) {
			if keywordNear(text, nm.start, nm.end, cardKeywords) ||
				(cardGroups && !keywordNear(text, nm.start, nm.end, notCardLabels)) {
				v := nm.value()
				card.add(v, Mask(v), where)
			}
		}
	}
	if len(valid) >= 3 && len(valid)*10 >= twelve*8 {
		for _, v := range valid {
			s := v.value()
			myNum.add(s, Mask(s), where)
		}
	}
}
