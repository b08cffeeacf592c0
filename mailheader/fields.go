package mailheader

import (
	"bytes"
	"strings"
)

// MaxParse bounds the header section Parse reads.
const MaxParse = 1 << 20

// Field is one header field, unfolded: its name as written and its value
// with the white space around it and at each fold reduced to one space.
type Field struct {
	Name, Value string
}

// Fields are the fields of a header section in order.
type Fields []Field

// Parse reads the fields of the header section at the start of raw (a
// whole message may be passed; at most MaxParse bytes of section are read)
// leniently: a line that is not a field — no colon, or white space in the
// name — is skipped, and so is a continuation line that has no field
// before it.
func Parse(raw []byte) Fields {
	var fs Fields
	for _, line := range strings.Split(string(Section(raw, MaxParse)), "\r\n") {
		if line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(fs) > 0 {
				fs[len(fs)-1].Value += " " + strings.TrimSpace(line)
			}
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			continue
		}
		fs = append(fs, Field{name, strings.TrimSpace(value)})
	}
	return fs
}

// Get returns the value of the first field named name (any case), "" if
// there is none.
func (fs Fields) Get(name string) string {
	for _, f := range fs {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Values returns the values of every field named name (any case), in
// order: several To or Cc fields are one list.
func (fs Fields) Values(name string) []string {
	var vs []string
	for _, f := range fs {
		if strings.EqualFold(f.Name, name) {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

// IsField reports whether line starts the header field name (any case;
// white space before the colon is tolerated, as in rfc/5322 section 4.5.3).
func IsField(line []byte, name string) bool { return isField(line, []byte(name)) }

// isField is IsField without the conversion, for the loop in Without.
func isField(line, name []byte) bool {
	if len(line) <= len(name) || !bytes.EqualFold(line[:len(name)], name) {
		return false
	}
	rest := bytes.TrimLeft(line[len(name):], " \t")
	return len(rest) > 0 && rest[0] == ':'
}
