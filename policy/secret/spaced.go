package secret

import (
	"strings"
	"unicode/utf8"
)

// A password spaced out or separated one character at a time
// ("A b 3 d 9 x Q", "A-b-3-d-9", "A／b／3／d" — full width becomes ASCII in
// the normalised text —, or one character per line) is read by any person
// but no token of it is the password. spacedLines finds such runs and
// writes each line that holds one again with the run joined
// ("パスワード：Ab3d9xQ"), so that the label and token scans see the value
// the sender spelled out; the joined values are marked Spaced.

// Bounds of a spaced run.
const (
	minSpacedRun  = 4  // characters
	maxSpacedRun  = 64 // characters
	maxSpacedGap  = 3  // separator characters between two of them
	maxSpacedRuns = 100
)

// isSpacedSeparator reports the characters that may stand between the
// characters of a spaced-out value.
func isSpacedSeparator(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '-', '/', '|', '_', '.', ',', '・', '･':
		return true
	}
	return false
}

// isSpacedChar reports a character a spaced-out password is made of:
// printable ASCII other than the separators and boundaries.
func isSpacedChar(r rune) bool {
	return r > ' ' && r < 0x7f && !isSpacedBoundary(r)
}

// isSpacedBoundary reports the characters that may stand next to a single
// character: separators, Japanese text, and the punctuation after a label.
func isSpacedBoundary(r rune) bool {
	return isSpacedSeparator(r) || r >= utf8.RuneSelf || r == ':' || r == '=' || r == '(' || r == ')' || r == '"' || r == '\''
}

// spacedRun is norm[start:end], a run of single characters, and the run
// joined.
type spacedRun struct {
	start, end int
	joined     string
}

// spacedRuns finds runs of at least minSpacedRun single characters, each
// standing alone between separators.
func spacedRuns(norm string) []spacedRun {
	var out []spacedRun
	var b strings.Builder
	runStart, runEnd := -1, -1
	gap := 0
	flush := func() {
		if runStart >= 0 && utf8.RuneCountInString(b.String()) >= minSpacedRun && len(out) < maxSpacedRuns {
			out = append(out, spacedRun{runStart, runEnd, b.String()})
		}
		runStart, runEnd = -1, -1
		b.Reset()
		gap = 0
	}
	prevSep := true // start of text counts as a boundary
	for i := 0; i < len(norm); {
		r, n := utf8.DecodeRuneInString(norm[i:])
		next, _ := utf8.DecodeRuneInString(norm[i+n:])
		nextSep := i+n >= len(norm) || isSpacedBoundary(next)
		switch {
		case isSpacedChar(r) && prevSep && nextSep:
			if runStart >= 0 && gap > maxSpacedGap || b.Len() >= maxSpacedRun {
				flush()
			}
			if runStart < 0 {
				runStart = i
			}
			b.WriteRune(r)
			runEnd = i + n
			gap = 0
		case isSpacedSeparator(r):
			gap++
		default:
			flush()
		}
		prevSep = isSpacedBoundary(r)
		i += n
	}
	flush()
	return out
}

// spacedText returns a text of t's lines that hold spaced runs, each with
// the run joined, and the joined values; ok false when there is none.
func spacedText(p *prepared, t Text) (Text, []string, bool) {
	runs := spacedRuns(p.norm)
	if len(runs) == 0 {
		return Text{}, nil, false
	}
	var b strings.Builder
	joined := make([]string, 0, len(runs))
	for _, r := range runs {
		lineStart := strings.LastIndexByte(p.norm[:r.start], '\n') + 1
		b.WriteString(p.norm[lineStart:r.start])
		b.WriteString(r.joined)
		b.WriteByte('\n')
		joined = append(joined, r.joined)
	}
	return Text{Path: t.Path, Kind: t.Kind, Content: b.String()}, joined, true
}
