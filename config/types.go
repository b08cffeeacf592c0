package config

import (
	"encoding"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/sendguard/sendguard/policy/recipient"
)

// The strict decoder stops at the first value of the wrong type, and its
// messages name Go types ("toml: cannot decode TOML string into struct field
// config.Server.MaxRecipients of type int"). An admin wants every problem in
// one run, in words. So before the strict decode, the document (read by the
// same TOML library into plain values) is held against the shape of the
// structs it will be decoded into: every unknown key and every value of the
// wrong type is reported, each with its line, and an unknown key gets the
// nearest known key as a suggestion.

// shapeErrors returns every unknown key and wrongly typed value of data for
// the struct v points to, sorted by line. The caller has already parsed data
// (keyLines), so a syntax error is not expected here.
// typed is false when a value has the wrong type, so that decoding would
// fail; unknown keys alone leave it true (they are ignored by a lenient
// decode, and the rest of the file can still be checked).
func shapeErrors(path string, data []byte, v any, lines map[string]int) (errs Errors, typed bool) {
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return Errors{{File: path, Msg: err.Error()}}, false
	}
	s := &shapeCheck{path: path, lines: lines}
	s.value(reflect.TypeOf(v).Elem(), doc, "")
	sort.SliceStable(s.errs, func(i, j int) bool { return s.errs[i].Line < s.errs[j].Line })
	return s.errs, !s.typeErr
}

type shapeCheck struct {
	path    string
	lines   map[string]int
	errs    Errors
	typeErr bool
}

// add records a value of the wrong type.
func (s *shapeCheck) add(key, format string, args ...any) {
	s.typeErr = true
	s.errs = append(s.errs, Error{File: s.path, Line: lineOf(s.lines, key), Key: key, Msg: fmt.Sprintf(format, args...)})
}

// unknown records a key the struct does not have.
func (s *shapeCheck) unknown(key, hint string) {
	s.errs = append(s.errs, Error{File: s.path, Line: lineOf(s.lines, key), Key: key, Msg: "unknown key" + hint})
}

// unknownSection records a table the struct does not have ([sever]),
// suggesting the nearest known one by its full name ([server]).
func (s *shapeCheck) unknownSection(key, parent, name string, fields []field) {
	msg := "unknown section"
	if best := nearest(name, fields); best != "" {
		msg += fmt.Sprintf("; did you mean [%s]?", join(parent, best))
	}
	s.errs = append(s.errs, Error{File: s.path, Line: firstLine(s.lines, key), Key: key, Msg: msg})
}

// firstLine is the line of key, or for a table only named as part of
// longer headers ([explain.templtes."x".ja] names explain.templtes) the
// first line under it, or else the line of its closest parent.
func firstLine(lines map[string]int, key string) int {
	if l, ok := lines[key]; ok {
		return l
	}
	first := 0
	for k, l := range lines {
		if strings.HasPrefix(k, key+".") && (first == 0 || l < first) {
			first = l
		}
	}
	if first > 0 {
		return first
	}
	return lineOf(lines, key)
}

var textUnmarshaler = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()

// value checks val, found at key, against type t.
func (s *shapeCheck) value(t reflect.Type, val any, key string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		str, ok := val.(string)
		if !ok {
			s.add(key, "want %s, got %s", want(t), got(val))
			return
		}
		// The type's own parser gives the reason in its words ("not a
		// duration (use e.g. \"30s\", \"5m\")").
		if err := reflect.New(t).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(str)); err != nil {
			s.add(key, "%v", err)
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		table, ok := val.(map[string]any)
		if !ok {
			s.add(key, "want a table, got %s", got(val))
			return
		}
		fields := tomlFields(t)
		for _, k := range sortedKeys(table) {
			sub := join(key, k)
			f, ok := findField(fields, k)
			if !ok {
				if _, isTable := table[k].(map[string]any); isTable {
					s.unknownSection(sub, key, k, fields)
				} else {
					s.unknown(sub, suggestion(k, fields))
				}
				continue
			}
			s.value(f.typ, table[k], sub)
		}
	case reflect.Map:
		table, ok := val.(map[string]any)
		if !ok {
			s.add(key, "want a table, got %s", got(val))
			return
		}
		for _, k := range sortedKeys(table) {
			s.value(t.Elem(), table[k], join(key, k))
		}
	case reflect.Slice, reflect.Array:
		list, ok := val.([]any)
		if !ok {
			s.add(key, "want %s, got %s", want(t), got(val))
			return
		}
		for i, e := range list {
			if isTable(t.Elem()) {
				// Arrays of tables are in lines as key.0, key.1, ….
				s.value(t.Elem(), e, key+"."+strconv.Itoa(i))
				continue
			}
			if !fits(t.Elem(), e) {
				s.add(key, "entry %d: want %s, got %s", i+1, want(t.Elem()), got(e))
			}
		}
	case reflect.Interface:
	default:
		if !fits(t, val) {
			s.add(key, "want %s, got %s", want(t), got(val))
		}
	}
}

// fits reports whether a scalar val can be decoded into t.
func fits(t reflect.Type, val any) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		_, ok := val.(string)
		return ok
	}
	switch t.Kind() {
	case reflect.String:
		_, ok := val.(string)
		return ok
	case reflect.Bool:
		_, ok := val.(bool)
		return ok
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := val.(int64)
		return ok && !reflect.New(t).Elem().OverflowInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := val.(int64)
		return ok && n >= 0 && !reflect.New(t).Elem().OverflowUint(uint64(n))
	case reflect.Float32, reflect.Float64:
		switch val.(type) {
		case float64, int64:
			return true
		}
		return false
	case reflect.Interface:
		return true
	}
	return false
}

func isTable(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return (t.Kind() == reflect.Struct || t.Kind() == reflect.Map) && !reflect.PointerTo(t).Implements(textUnmarshaler)
}

// want says in words what a key of type t takes.
func want(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeOf(Duration{}) {
		return `a duration in quotes (e.g. "30s", "5m")`
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if isTable(t.Elem()) {
			return "a list of tables"
		}
		return "a list of " + plural(want(t.Elem()))
	case reflect.Struct, reflect.Map:
		return "a table"
	}
	return "a value"
}

func plural(w string) string {
	switch w {
	case "a string":
		return "strings"
	case "a number":
		return "numbers"
	case "true or false":
		return "true/false values"
	}
	return "values"
}

// got says in words what the file holds.
func got(val any) string {
	switch v := val.(type) {
	case string:
		return "a string"
	case bool:
		return "true/false"
	case int64:
		return "the number " + strconv.FormatInt(v, 10)
	case float64:
		return "a number with a fraction"
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	case time.Time, toml.LocalDate, toml.LocalDateTime, toml.LocalTime:
		return "a date or time"
	}
	return "something else"
}

// field is one key a struct takes.
type field struct {
	name string
	typ  reflect.Type
}

// tomlFields lists the keys of struct t as the decoder sees them: the toml
// tag or the field name, anonymous structs flattened, "-" left out.
func tomlFields(t reflect.Type) []field {
	var out []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("toml")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			out = append(out, tomlFields(sf.Type)...)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out = append(out, field{name, sf.Type})
	}
	return out
}

// findField matches like the decoder: exactly, else ignoring case.
func findField(fields []field, key string) (field, bool) {
	for _, f := range fields {
		if f.name == key {
			return f, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return field{}, false
}

// suggestion is `; did you mean "listen"?` for the known key nearest to key,
// or "".
func suggestion(key string, fields []field) string {
	if best := nearest(key, fields); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return ""
}

// nearest is the known key nearest to key by edit distance, ignoring case,
// when it is a few edits away relative to key's length; "" otherwise.
func nearest(key string, fields []field) string {
	best, bestD := "", -1
	for _, f := range fields {
		d := recipient.EditDistance(strings.ToLower(key), strings.ToLower(f.name))
		if bestD < 0 || d < bestD {
			best, bestD = f.name, d
		}
	}
	limit := 2
	if n := len([]rune(key)); n >= 12 {
		limit = 3
	} else if n <= 3 {
		limit = 1
	}
	if bestD < 0 || bestD > limit {
		return ""
	}
	return best
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}
