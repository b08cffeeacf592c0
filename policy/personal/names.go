package personal

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// surnames are common Japanese family names (a fixed list, about the 150
// most frequent): a row names a person when one of them starts a name.
var surnames = toSet(strings.Fields(`
佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水
山崎 森 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田 長谷川 藤田 後藤 近藤 村上 遠藤 青木 坂本
斉藤 福田 太田 西村 藤井 金子 岡本 藤原 中野 三浦 原田 中川 松田 竹内 小野 田村 中山 和田 石田 森田
上田 原 内田 柴田 酒井 宮崎 横山 高木 安藤 宮本 大野 小島 谷口 今井 工藤 高田 増田 丸山 杉山 村田
大塚 新井 小山 平野 藤本 河野 上野 野口 武田 松井 千葉 岩崎 菅原 木下 久保 佐野 野村 松尾 市川 菊地
杉本 古川 大西 島田 水野 桜井 高野 渡部 吉川 山内 西田 飯田 菊池 西川 小松 北村 安田 五十嵐 川口 平田
関 中田 久保田 服部 東 岩田 土屋 川崎 福島 本田 辻 樋口 秋山 田口 永井 山中 中西 吉村 川上 石原 大橋
松岡 馬場 浜田 森本 星野 矢野 浅野 大久保 松下 吉岡 小池 野村 荒木 大谷 内藤 松浦 熊谷 黒田 尾崎 永田
川村 望月 田辺 松村 荒井 堀 大石 平井 西山 早川`))

// romanSurnames are the same names as written in Latin letters, lower case.
var romanSurnames = toSet(strings.Fields(`
sato suzuki takahashi tanaka ito watanabe yamamoto nakamura kobayashi kato yoshida yamada sasaki
yamaguchi matsumoto inoue kimura hayashi saito shimizu yamazaki mori ikeda hashimoto abe ishikawa
yamashita nakajima ishii ogawa maeda okada hasegawa fujita goto kondo murakami endo aoki sakamoto`))

// corporateWords after a family name make it a company or a place, not a
// person ("山田商事", "山田町").
var corporateWords = []string{"商事", "商店", "工業", "産業", "建設", "銀行", "会社", "病院", "法律", "事務所",
	"不動産", "物産", "電機", "製作所", "支店", "支社", "本店", "医院", "歯科", "学園", "学校", "運輸", "興業", "組",
	"営業所", "出張所", "工場", "本社", "支所", "店舗"}

// particles start hiragana that follow a family name in a sentence
// ("佐藤です", "山田の件"), not a given name; a given name in hiragana is
// written after a space ("山田 かおり").
var particles = []string{"の", "は", "が", "を", "に", "で", "と", "も", "か", "へ", "よ", "や", "から", "まで", "より"}

// placeEnds after a family name make it a place name ("山田町", "森駅").
const placeEnds = "町村市区郡県駅線通丁店館園院署局社校"

func toSet(words []string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// isKanji reports whether r is a kanji: the common CJK blocks first, the
// rest of the Han script after.
func isKanji(r rune) bool {
	switch {
	case r < 0x3400:
		return r == '々'
	case r <= 0x4DBF || (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0xF900 && r <= 0xFAFF):
		return true
	}
	return r > 0xFFFF && unicode.Is(unicode.Han, r)
}
func isHiragana(r rune) bool { return r >= 0x3041 && r <= 0x309F }
func isKatakana(r rune) bool { return (r >= 0x30A1 && r <= 0x30FA) || r == 'ー' }

// hasPersonName reports whether the line holds something written as a
// person's name: a listed family name followed by a given name or an
// honorific (様, さん, 殿), two katakana words ("ヤマダ タロウ"), or a Latin
// name with a listed family name ("Taro Yamada", "YAMADA Taro").
func hasPersonName(line string) bool {
	prevKanji := false
	for i := 0; i < len(line); {
		r, size := utf8.DecodeRuneInString(line[i:])
		if r < utf8.RuneSelf {
			if isLetter(byte(r)) && (i == 0 || !isLetter(line[i-1])) && romanName(line, i) {
				return true
			}
			prevKanji = false
			i += size
			continue
		}
		k := isKanji(r)
		if k && !prevKanji && kanjiName(line[i:]) {
			return true
		}
		if isKatakana(r) && (i == 0 || !endsKatakana(line[:i])) && katakanaName(line[i:]) {
			return true
		}
		prevKanji = k
		i += size
	}
	return false
}

func isLetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// kanjiName reports whether s starts with a listed family name (one to
// three characters) followed by a given name of one to three kanji or kana,
// or by an honorific.
func kanjiName(s string) bool {
	off := 0
	for n := 1; n <= 3; n++ {
		r, size := utf8.DecodeRuneInString(s[off:])
		if !isKanji(r) {
			return false
		}
		off += size
		if surnames[s[:off]] && givenName(s[off:]) {
			return true
		}
	}
	return false
}

// givenName reports whether s (after a family name) starts with an
// honorific or a given name standing alone.
func givenName(s string) bool {
	spaced := strings.HasPrefix(s, " ")
	if spaced {
		s = s[1:]
	}
	for _, h := range []string{"様", "さん", "殿"} {
		if strings.HasPrefix(s, h) {
			return true
		}
	}
	n, off := 0, 0
	for off < len(s) {
		r, size := utf8.DecodeRuneInString(s[off:])
		if !isKanji(r) && !isHiragana(r) {
			break
		}
		n++
		off += size
	}
	if n == 0 || n > 3 {
		return false
	}
	given := s[:off]
	if n == 1 && strings.ContainsAny(given, placeEnds) {
		return false
	}
	if r, _ := utf8.DecodeRuneInString(given); isHiragana(r) && !spaced {
		for _, p := range particles {
			if strings.HasPrefix(given, p) {
				return false
			}
		}
	}
	for _, w := range corporateWords {
		if strings.Contains(given, w) || strings.HasPrefix(s[off:], w) {
			return false
		}
	}
	return true
}

// endsKatakana reports whether s ends with a katakana character.
func endsKatakana(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return isKatakana(r)
}

// katakanaName reports whether s starts with two katakana words of two to
// eight characters separated by one space ("ヤマダ タロウ").
func katakanaName(s string) bool {
	word := func(s string) (int, int) {
		n, off := 0, 0
		for off < len(s) {
			r, size := utf8.DecodeRuneInString(s[off:])
			if !isKatakana(r) {
				break
			}
			n++
			off += size
		}
		return n, off
	}
	n1, off := word(s)
	if n1 < 2 || n1 > 8 || off >= len(s) || s[off] != ' ' {
		return false
	}
	n2, off2 := word(s[off+1:])
	if n2 < 2 || n2 > 8 {
		return false
	}
	rest := s[off+1+off2:]
	r, _ := utf8.DecodeRuneInString(rest)
	return rest == "" || !(isKanji(r) || isHiragana(r))
}

// romanName reports whether the Latin word at s[i:] and its neighbour form
// a name with a listed family name: "Taro Yamada", "YAMADA Taro".
func romanName(line string, i int) bool {
	word := func(j int) (string, int) {
		k := j
		for k < len(line) && isLetter(line[k]) {
			k++
		}
		return line[j:k], k
	}
	w, end := word(i)
	if len(w) < 2 || !isUpper(w[0]) {
		return false
	}
	if end+1 < len(line) && line[end] == ' ' && isLetter(line[end+1]) {
		w2, end2 := word(end + 1)
		if len(w2) >= 2 && isUpper(w2[0]) && (end2 == len(line) || !isLetter(line[end2])) &&
			(romanSurnames[strings.ToLower(w)] || romanSurnames[strings.ToLower(w2)]) {
			return true
		}
	}
	return false
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
