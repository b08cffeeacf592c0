// Package textchart draws what sendguard's reports show in a terminal or in
// Markdown: bars of Unicode blocks and tables aligned by display width (two
// columns for 全角 characters).
package textchart

import (
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// MarkdownTable writes a Markdown table padded to the display width of its
// columns, so it also reads in a terminal. align has one 'l' or 'r' per
// column.
func MarkdownTable(w io.Writer, header []string, align string, rows [][]string) {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = max(DisplayWidth(h), 3)
	}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], DisplayWidth(c))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range cells {
			pad := strings.Repeat(" ", widths[i]-DisplayWidth(c))
			if align[i] == 'r' {
				b.WriteString(" " + pad + c + " |")
			} else {
				b.WriteString(" " + c + pad + " |")
			}
		}
		fmt.Fprintln(w, b.String())
	}
	line(header)
	sep := make([]string, len(header))
	for i := range header {
		if align[i] == 'r' {
			sep[i] = strings.Repeat("-", widths[i]-1) + ":"
		} else {
			sep[i] = strings.Repeat("-", widths[i])
		}
	}
	line(sep)
	for _, r := range rows {
		line(r)
	}
}

// barWidth is the number of cells of the longest bar.
const barWidth = 20

// ScaledBar is a bar for v on a scale where max fills barWidth cells.
func ScaledBar(v, maxV int) string {
	if maxV <= 0 || v <= 0 {
		return ""
	}
	return Bar(float64(v) / float64(maxV) * barWidth)
}

// eighths are the partial blocks, one to seven eighths of a cell.
var eighths = []rune("▏▎▍▌▋▊▉")

// Bar draws cells (fractional) of full blocks and a partial block in
// eighths; anything above zero shows at least one eighth.
func Bar(cells float64) string {
	if cells <= 0 || math.IsNaN(cells) {
		return ""
	}
	n := int(math.Round(cells * 8))
	if n == 0 {
		n = 1
	}
	s := strings.Repeat("█", n/8)
	if n%8 > 0 {
		s += string(eighths[n%8-1])
	}
	return s
}

// DisplayWidth is how many terminal columns s takes: two for East Asian wide
// and full-width characters, none for combining marks, one otherwise.
func DisplayWidth(s string) int {
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch p := width.LookupRune(r); p.Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			if r >= 0x300 && r <= 0x36f || r == 0x200b || r == 0x200d || r >= 0xfe00 && r <= 0xfe0f {
				continue
			}
			n++
		}
	}
	return n
}
