package policy

import (
	"encoding/json"
	"strings"
	"unicode"
)

// MarshalJSON writes a finding with its Data keys in snake_case ("Masked"
// → "masked", "OtherSuffix" → "other_suffix"), as every JSON output of
// sendguard uses snake_case keys. Templates keep reading .Detail.Masked.
func (f Finding) MarshalJSON() ([]byte, error) {
	type plain Finding // without this method
	out := plain(f)
	if len(f.Data) > 0 {
		out.Data = make(map[string]string, len(f.Data))
		for k, v := range f.Data {
			out.Data[snakeCase(k)] = v
		}
	}
	return json.Marshal(out)
}

// snakeCase turns "OtherSuffix" into "other_suffix" (runs of capitals stay
// one word: "SHA256Sum" → "sha256_sum").
func snakeCase(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			prevLower := i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]) && !unicode.IsUpper(rs[max(i-2, 0)]))
			nextLower := i > 0 && i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1])
			if prevLower || nextLower {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
