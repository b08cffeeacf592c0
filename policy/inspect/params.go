package inspect

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// headerValue is a parsed Content-Type or Content-Disposition: the lower-case
// value and its parameters with lower-case names. Parameter values are as
// written (quotes removed, RFC 2231 sections joined and charset-decoded, but
// RFC 2047 encoded words still encoded): see decodeParam.
type headerValue struct {
	Value  string
	Params map[string]string
}

// rawParam is one parameter as written.
type rawParam struct {
	name  string // lower case, without the RFC 2231 "*n*" suffix
	index int    // RFC 2231 section number, -1 when none
	ext   bool   // RFC 2231 extended (percent-encoded, first section has charset'lang')
	value string
}

// parseHeaderValue parses a Content-Type/Content-Disposition value leniently.
// Unlike mime.ParseMediaType it accepts unquoted values with spaces, raw 8-bit
// bytes, duplicate parameters (the first wins), unterminated quotes and RFC
// 2231 values in any charset, because real Japanese mailers send all of these.
func parseHeaderValue(v string) headerValue {
	hv := headerValue{Params: map[string]string{}}
	value, rest, _ := strings.Cut(v, ";")
	hv.Value = strings.ToLower(strings.TrimSpace(value))
	if i := strings.IndexAny(hv.Value, " \t("); i >= 0 {
		hv.Value = hv.Value[:i]
	}
	raws := splitParams(rest)

	// Plain values first, then RFC 2231 ones, which take precedence.
	sections := map[string][]rawParam{}
	for _, p := range raws {
		if p.index < 0 && !p.ext {
			if _, dup := hv.Params[p.name]; !dup {
				hv.Params[p.name] = p.value
			}
			continue
		}
		sections[p.name] = append(sections[p.name], p)
	}
	for name, ps := range sections {
		if s, ok := join2231(ps); ok {
			hv.Params[name] = s
		}
	}
	return hv
}

// splitParams splits "; a=b; c="d e"; f*0*=..." into raw parameters.
func splitParams(s string) []rawParam {
	var out []rawParam
	for len(out) < 256 {
		s = strings.TrimLeft(s, " \t\r\n;")
		if s == "" {
			break
		}
		eq := strings.IndexAny(s, "=;")
		if eq < 0 {
			break
		}
		if s[eq] == ';' { // parameter without a value: skip it
			s = s[eq:]
			continue
		}
		name := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, "\"") {
			val, s = readQuoted(s[1:])
		} else {
			end := strings.IndexByte(s, ';')
			if end < 0 {
				end = len(s)
			}
			val = strings.TrimRight(s[:end], " \t\r\n")
			s = s[end:]
		}
		p := rawParam{name: name, index: -1, value: val}
		if strings.HasSuffix(p.name, "*") {
			p.ext = true
			p.name = strings.TrimSuffix(p.name, "*")
		}
		if i := strings.LastIndexByte(p.name, '*'); i >= 0 {
			if n, err := strconv.Atoi(p.name[i+1:]); err == nil && n >= 0 && n < 1000 {
				p.index = n
				p.name = p.name[:i]
			}
		}
		if p.name != "" {
			out = append(out, p)
		}
	}
	return out
}

// readQuoted reads a quoted string whose opening quote is already consumed and
// returns its value and the rest after the closing quote. A backslash escapes
// only '"' and '\', and not when it is the second byte of a Shift_JIS
// character (0x5C trail byte) — raw Shift_JIS names such as "表.doc" have it.
func readQuoted(s string) (string, string) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), s[i+1:]
		case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') && !(i > 0 && s[i-1] >= 0x81):
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), "" // unterminated: take the rest
}

// join2231 joins RFC 2231 sections and decodes them with their charset.
// The sections are joined before percent-decoding, so an escape or a
// multi-byte character split across two sections still decodes.
func join2231(ps []rawParam) (string, bool) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].index < ps[j].index })
	var enc strings.Builder
	cs := ""
	for i, p := range ps {
		v := p.value
		if !p.ext {
			enc.WriteString(strings.ReplaceAll(v, "%", "%25"))
			continue
		}
		if i == 0 {
			// charset'language'value
			if parts := strings.SplitN(v, "'", 3); len(parts) == 3 {
				cs, v = parts[0], parts[2]
			}
		}
		enc.WriteString(v)
	}
	raw := percentDecode(enc.String())
	if cs == "" {
		return decodeParam(string(raw)), true
	}
	return decodeText(raw, cs), true
}

func percentDecode(s string) []byte {
	if u, err := url.PathUnescape(s); err == nil {
		return []byte(u)
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				out = append(out, byte(n))
				i += 2
				continue
			}
		}
		out = append(out, s[i])
	}
	return out
}

// decodeParam decodes a plain parameter value: RFC 2047 encoded words (which
// Outlook and others put inside the quotes, against the RFC), raw ISO-2022-JP,
// raw Shift_JIS/EUC-JP/UTF-8 bytes.
func decodeParam(v string) string {
	if strings.Contains(v, "=?") {
		if s, err := wordDecoder.DecodeHeader(v); err == nil {
			v = s
		} else if s, ok := decodeWordsLoose(v); ok {
			v = s
		}
	}
	return decodeLooseString(v)
}

// decodeWordsLoose decodes encoded words that mime.WordDecoder refuses
// (for example a charset it does not know but decodeText can guess).
func decodeWordsLoose(v string) (string, bool) {
	var b strings.Builder
	changed := false
	for {
		i := strings.Index(v, "=?")
		if i < 0 {
			b.WriteString(v)
			break
		}
		rest := v[i+2:]
		q1 := strings.IndexByte(rest, '?')
		if q1 < 0 || q1+2 >= len(rest) || rest[q1+2] != '?' {
			b.WriteString(v[:i+2])
			v = rest
			continue
		}
		end := strings.Index(rest[q1+3:], "?=")
		if end < 0 {
			b.WriteString(v)
			break
		}
		cs, enc, text := rest[:q1], rest[q1+1], rest[q1+3:q1+3+end]
		if j := strings.IndexByte(cs, '*'); j >= 0 { // RFC 2231 language suffix
			cs = cs[:j]
		}
		var raw []byte
		var err error
		switch enc {
		case 'B', 'b':
			raw, err = decodeB64Loose(text)
		case 'Q', 'q':
			raw = decodeQWord(text)
		default:
			err = errBadWord
		}
		if err != nil {
			b.WriteString(v[:i+2])
			v = rest
			continue
		}
		// Whitespace between two adjacent encoded words is dropped.
		if pre := v[:i]; strings.TrimSpace(pre) != "" || !changed {
			b.WriteString(pre)
		}
		b.WriteString(decodeText(raw, cs))
		changed = true
		v = rest[q1+3+end+2:]
	}
	return b.String(), changed
}
