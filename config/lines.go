package config

import (
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

type lineError struct {
	line int
	msg  string
}

func (e *lineError) withFile(path string) *Error {
	return &Error{File: path, Line: e.line, Msg: e.msg}
}

// keyLines parses data and returns the line of every dotted key, including
// the keys inside tables, arrays of tables (indexed by position: "server.users.0.name")
// and inline tables.
func keyLines(data []byte) (map[string]int, *lineError) {
	p := &unstable.Parser{KeepComments: false}
	p.Reset(data)
	lines := map[string]int{}
	var table []string
	arrayCount := map[string]int{}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = keyParts(e.Key())
			name := strings.Join(table, ".")
			if e.Kind == unstable.ArrayTable {
				i := arrayCount[name]
				arrayCount[name] = i + 1
				table = append(table, itoa(i))
			}
			lines[strings.Join(table, ".")] = line(p, e)
		case unstable.KeyValue:
			walkKeyValue(p, e, table, lines)
		}
	}
	if err := p.Error(); err != nil {
		le := &lineError{msg: err.Error()}
		if perr, ok := err.(*unstable.ParserError); ok {
			le.line = p.Shape(p.Range(perr.Highlight)).Start.Line
			le.msg = perr.Message
		}
		return nil, le
	}
	return lines, nil
}

func walkKeyValue(p *unstable.Parser, e *unstable.Node, prefix []string, lines map[string]int) {
	k := append(append([]string(nil), prefix...), keyParts(e.Key())...)
	lines[strings.Join(k, ".")] = line(p, e)
	v := e.Value()
	if v != nil && v.Kind == unstable.InlineTable {
		it := v.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind == unstable.KeyValue {
				walkKeyValue(p, c, k, lines)
			}
		}
	}
}

func keyParts(it unstable.Iterator) []string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

func line(p *unstable.Parser, n *unstable.Node) int {
	r := n.Raw
	if r.Length == 0 {
		if k := n.Key(); k.Next() {
			r = k.Node().Raw
		}
	}
	return p.Shape(r).Start.Line
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
