package notify

import (
	"bytes"
	"html/template"
	"regexp"
	"strings"

	"github.com/sendguard/sendguard/policy/explain"
)

// document is the content of a notice, once per language (Japanese first);
// it is written as text/plain and as text/html with the same words.
type document struct {
	Title    string
	Sections []section
}

// section is the notice in one language.
type section struct {
	Lang    string // "ja" or "en"
	Heading string
	Intro   []string
	Facts   []fact
	Items   []item
	Outro   []string
}

type fact struct{ Label, Value string }

// item is one finding or incident.
type item struct {
	Heading    string
	Fields     []fact
	StepsLabel string
	Steps      []string
}

// ruler separates the languages in the text version.
var ruler = strings.Repeat("-", 64)

// plain writes the document as text (LF line ends; the MIME encoder makes
// CRLF), the languages separated by a ruler.
func (d *document) plain() string {
	texts := make([]string, len(d.Sections))
	for i, s := range d.Sections {
		var b strings.Builder
		b.WriteString(s.Heading + "\n\n")
		for _, p := range s.Intro {
			b.WriteString(p + "\n\n")
		}
		if len(s.Facts) > 0 {
			for _, f := range s.Facts {
				b.WriteString("  " + f.Label + ": " + f.Value + "\n")
			}
			b.WriteString("\n")
		}
		for _, it := range s.Items {
			b.WriteString("■ " + it.Heading + "\n")
			for _, f := range it.Fields {
				b.WriteString("   " + f.Label + ": " + f.Value + "\n")
			}
			if len(it.Steps) > 0 {
				b.WriteString("   " + it.StepsLabel + ":\n")
				for _, st := range it.Steps {
					b.WriteString("     " + st + "\n")
				}
			}
			b.WriteString("\n")
		}
		for _, p := range s.Outro {
			b.WriteString(p + "\n\n")
		}
		texts[i] = strings.TrimRight(b.String(), "\n")
	}
	return strings.Join(texts, "\n\n"+ruler+"\n\n") + "\n"
}

// stepNumber is a remedy step's own number, left out in HTML where <ol>
// numbers the steps.
var stepNumber = regexp.MustCompile(`^[0-9０-９]+[.．)）]\s*`)

var htmlTemplate = template.Must(template.New("notice").Funcs(template.FuncMap{
	"step": func(s string) string { return stepNumber.ReplaceAllString(s, "") },
}).Parse(`<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
</head>
<body style="font-family: sans-serif; line-height: 1.6;">
{{- range $i, $s := .Sections}}
{{- if $i}}
<hr>
{{- end}}
<div lang="{{$s.Lang}}">
<h2>{{$s.Heading}}</h2>
{{- range $s.Intro}}
<p>{{.}}</p>
{{- end}}
{{- if $s.Facts}}
<table>
{{- range $s.Facts}}
<tr><th style="text-align: left; padding-right: 1em;">{{.Label}}</th><td>{{.Value}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- range $s.Items}}
<h3>{{.Heading}}</h3>
{{- range .Fields}}
<p><b>{{.Label}}:</b> {{.Value}}</p>
{{- end}}
{{- if .Steps}}
<p><b>{{.StepsLabel}}:</b></p>
<ol>
{{- range .Steps}}
<li>{{step .}}</li>
{{- end}}
</ol>
{{- end}}
{{- end}}
{{- range $s.Outro}}
<p>{{.}}</p>
{{- end}}
</div>
{{- end}}
</body>
</html>
`))

// html writes the document as an HTML page; every value is escaped.
func (d *document) html() string {
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, d); err != nil {
		// The template is fixed and its data plain strings.
		panic("notify: html template: " + err.Error())
	}
	return b.String()
}

// listAddresses shows up to max addresses and how many more there are.
func listAddresses(addrs []string, max int, more func(n int) string) string {
	shown := addrs
	if len(shown) > max {
		shown = shown[:max]
	}
	out := make([]string, len(shown))
	for i, a := range shown {
		out[i] = explain.CleanText(a, 254)
	}
	s := strings.Join(out, ", ")
	if len(addrs) > max {
		s += more(len(addrs) - max)
	}
	return s
}
