package encryption

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

// Cost is what one password trial against a file costs, which decides how
// many candidates are worth trying.
type Cost int

const (
	// CostCheap: ZipCrypto, PDF RC4 and AES-128, legacy Office RC4 — a few
	// microseconds a trial.
	CostCheap Cost = iota
	// CostMedium: WinZip AES (PBKDF2-SHA1 ×1000) and AES-256 PDFs — about
	// a third of a millisecond.
	CostMedium
	// CostExpensive: 7z (2^19 SHA-256 rounds), RAR, Office CryptoAPI and
	// Agile, PKWARE strong encryption — milliseconds to tens of them.
	CostExpensive
)

// PasswordChecker tries passwords on one protected file. Check says
// whether the password opens it: a wrong password is (false, nil); an error
// means the trial could not be made (corrupt data, a limit). A checker is
// used by one goroutine at a time.
type PasswordChecker interface {
	Check(password string) (bool, error)
	Cost() Cost
}

// PasswordChecker returns the checker for the file InspectFile inspected,
// or nil when its format has none (PGP, S/MIME: no password to find) or
// none can be built (it cannot be verified).
func (in *Inspection) PasswordChecker() PasswordChecker {
	switch in.Format {
	case FormatZIP:
		c, err := in.ZipPasswordChecker()
		if err != nil {
			return nil
		}
		cost := CostCheap
		switch {
		case strings.Contains(in.Method, "strong"):
			cost = CostExpensive
		case strings.Contains(in.Method, "AES"):
			cost = CostMedium
		}
		return costed{func(pw string) (bool, error) { _, ok, err := c.Check(pw); return ok, err }, cost}
	case FormatPDF:
		c, err := NewPDFPasswordChecker(in.r, in.size, in.lim)
		if err != nil {
			return nil
		}
		cost := CostCheap
		if strings.Contains(c.Method(), "256") {
			cost = CostMedium
		}
		return costed{c.Check, cost}
	case FormatCFB:
		c, err := NewOfficePasswordChecker(in.r, in.size, in.lim)
		if err != nil {
			return nil
		}
		cost := CostExpensive
		if strings.HasPrefix(c.Method(), "RC4") && !strings.Contains(c.Method(), "CryptoAPI") {
			cost = CostCheap
		}
		return costed{c.Check, cost}
	case Format7z:
		c, err := New7zPasswordChecker(in.r, in.size, in.lim)
		if err != nil {
			return nil
		}
		return costed{c.Check, CostExpensive}
	case FormatRAR:
		c, err := NewRARPasswordChecker(in.r, in.size, in.lim)
		if err != nil {
			return nil
		}
		return costed{c.Check, CostExpensive}
	}
	return nil
}

// costed is a check function with its cost.
type costed struct {
	check func(string) (bool, error)
	cost  Cost
}

func (c costed) Check(pw string) (bool, error) { return c.check(pw) }
func (c costed) Cost() Cost                    { return c.cost }

// maxComments bounds the comment text taken from one archive.
const maxComments = 64 << 10

// Comments returns the archive comment and the entry comments of a ZIP —
// text the recipient sees when opening it, where senders also write
// passwords — decoded (UTF-8 when valid, else Shift_JIS, what Japanese
// Windows tools write), at most 64 KiB; "" for other formats.
func (in *Inspection) Comments() string {
	if in.Format != FormatZIP && in.Format != FormatOOXML {
		return ""
	}
	zr, err := in.ZipReader()
	if err != nil || zr == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(zr.Comment)
	for _, f := range zr.File {
		if b.Len() > maxComments {
			break
		}
		if f.Comment != "" {
			b.WriteString("\n" + f.Comment)
		}
	}
	return decodeComment(strings.TrimSpace(b.String()))
}

// decodeComment reads a ZIP comment: UTF-8 when valid, else Shift_JIS.
func decodeComment(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	if d, err := japanese.ShiftJIS.NewDecoder().String(s); err == nil {
		return d
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// UsesZipCrypto reports whether ZipCrypto protects any part of the file:
// one ZipCrypto entry is as weak as the archive gets (known-plaintext
// attacks break it).
func (r Result) UsesZipCrypto() bool { return strings.Contains(r.Method, "ZipCrypto") }
