package personal

import (
	"strings"
	"unicode/utf8"
)

// maxGap is how many lines that are not rows of people (blank lines,
// headings, notes) a list may have between two of its rows.
const maxGap = 3

// Header words (lower case) of a table of people: a name column, and the
// columns that hold contacts.
var (
	nameHeaders    = toSet([]string{"氏名", "名前", "お名前", "姓名", "顧客名", "会員名", "患者名", "利用者名", "受講者名", "参加者名", "フリガナ", "ふりがな", "name", "full name", "fullname"})
	contactHeaders = []string{"電話", "携帯", "tel", "phone", "mobile", "住所", "address", "郵便", "〒", "生年月日", "誕生日", "birth", "dob", "メール", "mail"}
	birthWords     = []string{"生年月日", "誕生日", "birth", "dob", "生まれ"}
	// personalMailDomains are free and mobile mail services: an address
	// there is a person's own.
	personalMailDomains = []string{"gmail.com", "googlemail.com", "yahoo.co.jp", "ymail.ne.jp", "yahoo.com", "hotmail.com", "hotmail.co.jp",
		"outlook.com", "outlook.jp", "live.jp", "icloud.com", "me.com", "mac.com", "docomo.ne.jp", "ezweb.ne.jp", "au.com",
		"softbank.ne.jp", "i.softbank.jp", "ymobile.ne.jp", "nifty.com", "biglobe.ne.jp", "ocn.ne.jp", "so-net.ne.jp", "aol.com", "proton.me"}
	prefectures = strings.Fields(`北海道 青森県 岩手県 宮城県 秋田県 山形県 福島県 茨城県 栃木県 群馬県 埼玉県 千葉県 東京都 神奈川県
新潟県 富山県 石川県 福井県 山梨県 長野県 岐阜県 静岡県 愛知県 三重県 滋賀県 京都府 大阪府 兵庫県 奈良県 和歌山県 鳥取県 島根県
岡山県 広島県 山口県 徳島県 香川県 愛媛県 高知県 福岡県 佐賀県 長崎県 熊本県 大分県 宮崎県 鹿児島県 沖縄県`)
)

// scanPeople finds the longest list of people in text: rows (lines, table
// rows, CSV/TSV records) that each name a person and hold a contact, with
// at most maxGap other lines between them; or records written as labelled
// blocks ("氏名：…" followed by "電话：…"). It returns the number of distinct
// rows and up to three masked contacts, and how many distinct rows naming
// a person with a contact the whole text holds however far apart
// (padding between rows does not hide a long list).
func scanPeople(text string) (int, []string, int) {
	var (
		best, run    int
		bestMasked   []string
		runMasked    []string
		seen         map[string]bool
		gap          int
		nameCol      bool            // a header with a name column is in force
		birthCol     bool            // … with a birth date column
		labelled     map[string]bool // "氏名：" lines followed by a contact
		labelLine    string
		scattered    map[string]bool
		labelPending int // lines left for the pending label block's contact
		labelMasked  []string
	)
	endRun := func() {
		if run > best {
			best, bestMasked = run, runMasked
		}
		run, runMasked, seen, nameCol, birthCol = 0, nil, nil, false, false
	}
	for rest := text; rest != ""; {
		var line string
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			line, rest = rest, ""
		}
		line = trimLine(line)
		if line == "" {
			gap++
			if gap > maxGap {
				endRun()
			}
			continue
		}
		if mayBeHeader(line) && isHeader(line) {
			endRun()
			gap = 0
			nameCol, birthCol = true, anyKeyword(line, birthWords)
			continue
		}
		raw, contact := findContact(line, birthCol)
		if nameLabel(line) {
			labelPending, labelLine = 5, line
		}
		if contact && labelPending > 0 {
			labelPending = 0
			if labelled == nil {
				labelled = map[string]bool{}
			}
			if !labelled[labelLine] && len(labelMasked) < maxMasked {
				labelMasked = append(labelMasked, maskContact(raw))
			}
			labelled[labelLine] = true
		} else if labelPending > 0 {
			labelPending--
		}
		if contact && (hasPersonName(line) || (nameCol && hasWords(line))) {
			if scattered == nil {
				scattered = map[string]bool{}
			}
			scattered[line] = true
			if seen == nil {
				seen = map[string]bool{}
			}
			if !seen[line] {
				seen[line] = true
				run++
				if len(runMasked) < maxMasked {
					runMasked = append(runMasked, maskContact(raw))
				}
			}
			gap = 0
			continue
		}
		gap++
		if gap > maxGap {
			endRun()
		}
	}
	endRun()
	if len(labelled) > best {
		return len(labelled), labelMasked, len(scattered)
	}
	return best, bestMasked, len(scattered)
}

// mayBeHeader is a cheap test before isHeader: a header names a name column.
func mayBeHeader(line string) bool {
	return strings.Contains(line, "名") || strings.Contains(line, "フリガナ") || strings.Contains(line, "ふりがな") || containsFold(line, "name")
}

// splitCells splits a line into cells at commas, tabs, bars and spaces.
func splitCells(line string) []string {
	return strings.FieldsFunc(line, func(r rune) bool {
		return r == ',' || r == '\t' || r == '|' || r == ' ' || r == ';' || r == '"'
	})
}

// isHeader reports whether the line is the header of a table of people: a
// name column and a contact column.
func isHeader(line string) bool {
	if len(line) > 400 {
		return false
	}
	cells := splitCells(line)
	name := false
	for i, c := range cells {
		lc := strings.ToLower(c)
		if nameHeaders[lc] || (lc == "name" && i > 0 && strings.EqualFold(cells[i-1], "full")) {
			// "Company Name", "File name" are not a person's name.
			if lc == "name" && i > 0 && !strings.EqualFold(cells[i-1], "full") && !strings.EqualFold(cells[i-1], "your") {
				continue
			}
			name = true
		}
	}
	return name && anyKeyword(line, contactHeaders)
}

// nameLabel reports whether the line starts a labelled record: "氏名：…",
// "お名前: …", "Name: …".
func nameLabel(line string) bool {
	for _, l := range []string{"氏名", "お名前", "名前", "name"} {
		if len(line) > len(l) && equalFoldASCII(line[:len(l)], l) {
			r := strings.TrimLeft(line[len(l):], " ")
			if strings.HasPrefix(r, ":") || strings.HasPrefix(r, "：") {
				return true
			}
		}
	}
	return false
}

// hasWords reports whether the line has a cell of two or more letters
// (kanji, kana or Latin) besides its contacts: the name in a named column.
func hasWords(line string) bool {
	n := 0
	for _, r := range line {
		if isKanji(r) || isHiragana(r) || isKatakana(r) || (r < utf8.RuneSelf && isLetter(byte(r))) {
			n++
			if n >= 2 {
				return true
			}
		} else {
			n = 0
		}
	}
	return false
}

// findContact finds a phone number, postal address, birth date (when the
// line or its column says so) or personal e-mail address in the line and
// returns it as maskContact masks it: digits, "〒ddd", a prefecture, "@domain"
// or "date".
func findContact(line string, birthCol bool) (string, bool) {
	if m, ok := findPhone(line); ok {
		return m, true
	}
	if m, ok := findPostal(line); ok {
		return m, true
	}
	if m, ok := findPersonalMail(line); ok {
		return m, true
	}
	if m, ok := findDate(line); ok && (birthCol || anyKeyword(line, birthWords)) {
		return m, true
	}
	return "", false
}

// maskContact masks what findContact returned: phone digits as Mask does,
// a postal code or prefecture with its rest hidden; dates and addresses
// are masks already.
func maskContact(raw string) string {
	switch {
	case raw == "":
		return raw
	case isDigit(raw[0]):
		return Mask(raw)
	case strings.HasPrefix(raw, "〒"):
		return raw + "-****"
	case strings.HasSuffix(raw, "都") || strings.HasSuffix(raw, "道") || strings.HasSuffix(raw, "府") || strings.HasSuffix(raw, "県"):
		return raw + "****"
	}
	return raw
}

// trimLine drops quote marks and blanks at the start of a line and blanks
// at its end.
func trimLine(line string) string {
	i := 0
	for i < len(line) && (line[i] == '>' || line[i] == ' ' || line[i] == '\t' || line[i] == '\r') {
		i++
	}
	j := len(line)
	for j > i && (line[j-1] == ' ' || line[j-1] == '\t' || line[j-1] == '\r') {
		j--
	}
	return line[i:j]
}

// findPhone finds a Japanese phone number: 0 and nine or ten more digits in
// groups ("090-1234-5678", "03 1234 5678", "(03)1234-5678") or +81 and
// nine or ten digits.
func findPhone(line string) (string, bool) {
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c != '0' && c != '+' && c != '(' {
			continue
		}
		if i > 0 && (isAlnum(line[i-1]) || line[i-1] == '.' || line[i-1] == ',') {
			continue
		}
		j := i
		intl := false
		if strings.HasPrefix(line[i:], "+81") {
			intl = true
			j += 3
		}
		var d [12]byte
		n, seps, last := 0, 0, j
	digitsLoop:
		for j < len(line) && n < len(d) {
			b := line[j]
			switch {
			case isDigit(b):
				d[n] = b
				n++
				last = j + 1
			case b == '-' || b == ' ' || b == '(' || b == ')':
				seps++
				if seps > 4 {
					break digitsLoop
				}
			default:
				break digitsLoop
			}
			j++
		}
		// What follows the last digit: not a letter, digit or decimal.
		if last < len(line) && (isAlnum(line[last]) || line[last] == ',' || line[last] == '.' && last+1 < len(line) && isDigit(line[last+1])) {
			continue
		}
		digits := d[:n]
		if intl {
			if n == 9 || n == 10 {
				return "0" + string(digits), true
			}
			continue
		}
		if (n == 10 || n == 11) && digits[0] == '0' && digits[1] != '0' {
			return string(digits), true
		}
	}
	return "", false
}

// findPostal finds a postal code after 〒 or a prefecture followed by a
// city, ward, town or village.
func findPostal(line string) (string, bool) {
	if i := strings.Index(line, "〒"); i >= 0 {
		s := strings.TrimLeft(line[i+len("〒"):], " ")
		if len(s) >= 7 && isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2]) {
			return "〒" + s[:3], true // masked by maskContact
		}
	}
	for _, suffix := range []string{"都", "道", "府", "県"} {
		for off := 0; off < len(line); {
			i := strings.Index(line[off:], suffix)
			if i < 0 {
				break
			}
			end := off + i + len(suffix)
			off = end
			for _, p := range prefectures {
				if strings.HasSuffix(line[:end], p) {
					after := line[end:min(len(line), end+30)]
					if strings.ContainsAny(after, "市区町村郡") {
						return p, true // masked by maskContact
					}
				}
			}
		}
	}
	return "", false
}

// findPersonalMail finds an address at a free or mobile mail service.
func findPersonalMail(line string) (string, bool) {
	for off := 0; off < len(line); {
		i := strings.IndexByte(line[off:], '@')
		if i < 0 {
			return "", false
		}
		i += off
		off = i + 1
		dom := line[i+1:]
		k := 0
		for k < len(dom) && (isAlnum(dom[k]) || dom[k] == '.' || dom[k] == '-') {
			k++
		}
		dom = strings.ToLower(dom[:k])
		for _, p := range personalMailDomains {
			if dom == p || strings.HasSuffix(dom, "."+p) {
				return "****@" + p, true
			}
		}
	}
	return "", false
}

// findDate finds a date of birth: yyyy/mm/dd, yyyy-mm-dd, yyyy.mm.dd or
// yyyy年m月d日 with a year from 1900 to 2030, or an era date (昭和45年…).
func findDate(line string) (string, bool) {
	for i := 0; i+8 <= len(line); i++ {
		if !isDigit(line[i]) || (i > 0 && isDigit(line[i-1])) {
			continue
		}
		if !(isDigit(line[i+1]) && isDigit(line[i+2]) && isDigit(line[i+3])) {
			continue
		}
		y := int(line[i]-'0')*1000 + int(line[i+1]-'0')*100 + int(line[i+2]-'0')*10 + int(line[i+3]-'0')
		if y < 1900 || y > 2030 {
			continue
		}
		s := line[i+4:]
		if strings.HasPrefix(s, "年") {
			s = s[len("年"):]
		} else if s[0] == '/' || s[0] == '-' || s[0] == '.' {
			s = s[1:]
		} else {
			continue
		}
		if len(s) > 0 && isDigit(s[0]) {
			return "****/**/**", true
		}
	}
	for _, era := range []string{"昭和", "平成", "令和"} {
		if i := strings.Index(line, era); i >= 0 {
			if s := line[i+len(era):]; len(s) > 0 && isDigit(s[0]) {
				return era + "**年**月**日", true
			}
		}
	}
	return "", false
}
