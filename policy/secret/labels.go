package secret

import (
	"strings"
	"unicode/utf8"
)

// label is a word that introduces a password.
type label struct {
	text string // NFKC, ASCII lower case, words separated by one space
	// ambiguous labels are also common words (pass, キー, パス, 鍵): they need
	// an explicit separator (":", "=", "は", a bracket) and must not be part
	// of a longer word (コンパス, キーボード, 合鍵, APIキー).
	ambiguous bool
	ascii     bool // ends in an ASCII character: a bare space is a weak separator
}

// builtinLabels are the password labels in Japanese and English. "パスワードは"
// and "the password is" are covered by the separators は and "is".
var builtinLabels = []string{
	"パスワード", "ぱすわーど", "暗証番号", "解凍パスワード", "解凍用パスワード", "解凍キー", "解凍用キー",
	"解凍鍵", "解凍用の鍵", "解凍コード", "解除パスワード", "開封パスワード", "展開パスワード", "解凍パス",
	"パスコード", "パスフレーズ", "暗号化パスワード", "zipパスワード", "zipのパスワード",
	"password", "passwd", "passcode", "passphrase", "pwd", "pw", "p/w", "p.w.",
	"zip password", "zip pw", "zip pass", "zip file password", "archive password", "file password",
	"attachment password", "unzip password", "decryption password", "document password", "pdf password",
	"password for the zip", "password for the zip file", "password for the file", "password for the files",
	"password for the attachment", "password for the attachments", "password for the attached file",
	"password for the archive", "password to open the file", "password to open the zip",
	"password to open the attachment",
	// Partners abroad: the same statement in other languages.
	"kennwort", "passwort", "mot de passe", "contraseña", "senha", "密码", "密碼", "口令", "비밀번호",
}

// ambiguousLabels are built in too, with the stricter rules.
var ambiguousLabels = []string{"pass", "パス", "キー", "鍵"}

// compliantWords near a label mean the password travels another way
// ("パスワードは別途お送りします", "password will be sent separately").
var compliantWords = []string{
	"別途", "別メール", "別のメール", "別送", "別便", "別経路", "別の経路", "別の方法", "別の手段", "別ルート",
	"別にお送り", "別にご連絡", "別にお知らせ", "後ほど", "のちほど", "後送", "追って", "おって", "追送", "改めて",
	"あらためて", "次のメール", "次メール", "続くメール", "後続のメール", "後日", "お電話", "電話で", "口頭で",
	"separate", "will follow", "to follow", "follows in", "follow in", "another mail", "another email",
	"another e-mail", "another message", "second mail", "second email", "next mail", "next email",
	"different channel", "other channel", "by phone", "by telephone", "via phone", "by sms", "via sms",
	"out of band", "out-of-band", "later", "afterwards",
}

// pointerWords after a label point to the value on the next line
// ("パスワードは以下の通りです。\nabc123").
var pointerWords = []string{"以下", "下記", "次の通り", "次のとおり", "below", "as follows", "following"}

// stopwords are words that follow a label without being a password.
var stopwords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`
will shall would should could must may can cannot sent send sending being been required require requires
changed change changes reset resets expired expire expires expiry incorrect invalid wrong correct protected
protect protection policy policies manager managers here below above following follows follow separately
separate later soon same none null nil n/a tbd tba unknown empty blank the this that these those your yours
their our not also please attached attachment attachments file files zip pdf excel word outlook teams slack
email e-mail mail phone sms set hint enter input is are was were for from with and or of to in on by at as
contact administrator admin reset. required. same. below. above. follows: following: xxxx xxxxx xxxxxx xxxxxxx
xxxxxxxx xxxxxxxxxx **** ***** ****** ******** example sample dummy changeme reminder notice update updated
expiration length characters strength rules rule requirements protected. encrypted unlock locked lock`) {
		stopwords[w] = true
	}
}

// jpStopwords are Japanese "values" that say there is no value.
var jpStopwords = []string{"なし", "無し", "ナシ", "不要", "未設定", "設定なし", "未定", "下記", "上記", "以下", "以上",
	"同上", "別途", "後ほど", "ありません", "です", "について", "は別途"}

// labelTable indexes labels by their first character, longest first.
type labelTable struct {
	ascii [utf8.RuneSelf][]*label
	lead  [256]uint8   // lead bytes of the non-ASCII first characters: their lengths
	tail  [1024]uint64 // bit set of their last two bytes, a quick filter
	first []uint32     // non-ASCII first characters, by runeKey
	lists [][]*label
}

// runeKey packs the UTF-8 bytes of the character at s[i:] (2 to 4 bytes).
func runeKey(s string, i int) (uint32, bool) {
	n := runeLen(s[i])
	if i+n > len(s) {
		return 0, false
	}
	k := uint32(0)
	for _, c := range []byte(s[i : i+n]) {
		k = k<<8 | uint32(c)
	}
	return k, true
}

func (t *labelTable) add(lb *label) {
	var l *[]*label
	if c := lb.text[0]; c < utf8.RuneSelf {
		l = &t.ascii[c]
	} else {
		key, _ := runeKey(lb.text, 0)
		k := 0
		for k < len(t.first) && t.first[k] != key {
			k++
		}
		if k == len(t.first) {
			t.first = append(t.first, key)
			t.lists = append(t.lists, nil)
			t.lead[c] = uint8(runeLen(c))
			t.tail[key&0xFFFF/64] |= 1 << (key & 63)
		}
		l = &t.lists[k]
	}
	for _, o := range *l {
		if o.text == lb.text {
			return
		}
	}
	*l = append(*l, lb)
	for k := len(*l) - 1; k > 0 && len((*l)[k].text) > len((*l)[k-1].text); k-- {
		(*l)[k], (*l)[k-1] = (*l)[k-1], (*l)[k]
	}
}

// mayStart is a quick filter for at on a non-ASCII character: false when
// no label starts at s[i:].
func (t *labelTable) mayStart(s string, i int) bool {
	n := int(t.lead[s[i]])
	if n == 0 || i+n > len(s) {
		return false
	}
	key := uint32(s[i+n-2])<<8 | uint32(s[i+n-1]) // runeKey's last two bytes
	return t.tail[key/64]&(1<<(key&63)) != 0
}

// at returns the labels that may start at s[i:].
func (t *labelTable) at(s string, i int) []*label {
	c := s[i]
	if c < utf8.RuneSelf {
		return t.ascii[c]
	}
	if t.lead[c] == 0 {
		return nil
	}
	key, ok := runeKey(s, i)
	if !ok || t.tail[key&0xFFFF/64]&(1<<(key&63)) == 0 {
		return nil
	}
	for k, f := range t.first {
		if f == key {
			return t.lists[k]
		}
	}
	return nil
}

// normalizeLabel brings an admin's label or phrase to the form it is matched
// in: cleaned, NFKC, ASCII lower case, single spaces.
func normalizeLabel(s string) string {
	p := prepare(s)
	return strings.Join(strings.Fields(p.lower), " ")
}

func newLabel(text string, ambiguous bool) *label {
	last, _ := utf8.DecodeLastRuneInString(text)
	return &label{text: text, ambiguous: ambiguous, ascii: last < utf8.RuneSelf}
}

// matchText matches the label text at lower[i:end]; a space in the label
// matches one or more spaces or tabs. It returns the end of the match.
func matchText(lower string, i, end int, text string) (int, bool) {
	p := i
	for k := 0; k < len(text); k++ {
		c := text[k]
		if c == ' ' {
			if p >= end || (lower[p] != ' ' && lower[p] != '\t') {
				return 0, false
			}
			for p < end && (lower[p] == ' ' || lower[p] == '\t') {
				p++
			}
			continue
		}
		if p >= end || lower[p] != c {
			return 0, false
		}
		p++
	}
	return p, true
}

// match returns the longest label at lower[i:] that stands as a word.
func (f *Finder) match(p *prepared, ln line, i int) (*label, int) {
	for _, lb := range f.labels.at(p.lower, i) {
		j, ok := matchText(p.lower, i, ln.end, lb.text)
		if ok && boundary(p, ln, i, j, lb) {
			return lb, j
		}
	}
	return nil, 0
}

// boundary reports whether lower[i:j] is a label on its own and not part of
// a longer word: passport, bypass, PWM, パスワードポリシー, キーボード, コンパス, 合鍵.
func boundary(p *prepared, ln line, i, j int, lb *label) bool {
	prev, next := rune(-1), rune(-1)
	if i > ln.content {
		prev, _ = utf8.DecodeLastRuneInString(p.lower[ln.content:i])
	}
	if j < ln.end {
		next, _ = utf8.DecodeRuneInString(p.lower[j:ln.end])
	}
	first, _ := utf8.DecodeRuneInString(lb.text)
	last, _ := utf8.DecodeLastRuneInString(lb.text)
	switch {
	case asciiAlnum(first) && asciiAlnum(prev),
		asciiAlnum(last) && asciiAlnum(next),
		katakana(last) && katakana(next):
		return false
	}
	if lb.ambiguous {
		if asciiAlnum(prev) || katakana(prev) || han(prev) {
			return false
		}
		if han(last) && (han(next) || katakana(next)) {
			return false
		}
	}
	return true
}

// containsAny reports whether s contains one of the words.
func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
