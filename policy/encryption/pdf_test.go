package encryption

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Fixtures made by qpdf and LibreOffice (make.sh): user password
// "secret123", owner password "owner456".
func TestInspectPDFFixtures(t *testing.T) {
	const permsOnly = "opens without a password; only permissions are restricted"
	tests := []struct {
		file      string
		protected bool
		method    string
		note      string
	}{
		{"pdf-plain.pdf", false, "", ""},
		{"pdf-lo-plain.pdf", false, "", ""},
		// qpdf: "trailer << ... >>" on one line.
		{"pdf-aes256.pdf", true, "AES-256", ""},
		{"pdf-owner-only.pdf", false, "AES-256", permsOnly},
		{"pdf-aes128.pdf", true, "AES-128", ""},
		{"pdf-rc4-128.pdf", true, "RC4-128", ""},
		{"pdf-rc4-40.pdf", true, "RC4-40", ""},
		{"pdf-aes256-r5.pdf", true, "AES-256", ""},
		// Cross-reference streams.
		{"pdf-aes256-xref.pdf", true, "AES-256", ""},
		{"pdf-owner-only-xref.pdf", false, "AES-256", permsOnly},
		{"pdf-aes128-xref.pdf", true, "AES-128", ""},
		{"pdf-rc4-128-xref.pdf", true, "RC4-128", ""},
		{"pdf-rc4-40-xref.pdf", true, "RC4-40", ""},
		{"pdf-aes256-r5-xref.pdf", true, "AES-256", ""},
		// Two trailers; "trailer" on its own line; an incremental update.
		{"pdf-aes256-linearized.pdf", true, "AES-256", ""},
		{"pdf-aes256-trailer-nl.pdf", true, "AES-256", ""},
		{"pdf-aes128-incremental.pdf", true, "AES-128", ""},
		// LibreOffice: "trailer" on its own line, literal binary /O and /U.
		{"pdf-lo-rc4-128.pdf", true, "RC4-128", ""},
		{"pdf-lo-owner-only.pdf", false, "RC4-128", permsOnly},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := inspectBytes(fixture(t, tt.file), Limits{})
			if res.Unscannable != "" {
				t.Fatalf("Unscannable = %q", res.Unscannable)
			}
			if res.Format != FormatPDF || res.Protected != tt.protected || res.Method != tt.method {
				t.Errorf("got format %q protected %v method %q, want pdf %v %q",
					res.Format, res.Protected, res.Method, tt.protected, tt.method)
			}
			if tt.note != "" && !hasNote(res, tt.note) {
				t.Errorf("notes %q lack %q", res.Notes, tt.note)
			}
			if tt.note == "" && len(res.Notes) > 0 {
				t.Errorf("unexpected notes %q", res.Notes)
			}
		})
	}
}

func TestPDFPasswordChecker(t *testing.T) {
	tests := []struct {
		file   string
		method string
		user   string // the user password
	}{
		{"pdf-aes256.pdf", "AES-256", docPW},
		{"pdf-aes256-r5.pdf", "AES-256", docPW},
		{"pdf-aes256-xref.pdf", "AES-256", docPW},
		{"pdf-aes128.pdf", "AES-128", docPW},
		{"pdf-aes128-incremental.pdf", "AES-128", docPW},
		{"pdf-rc4-128.pdf", "RC4-128", docPW},
		{"pdf-rc4-40.pdf", "RC4-40", docPW},
		{"pdf-rc4-40-xref.pdf", "RC4-40", docPW},
		{"pdf-rc4-128-xref.pdf", "RC4-128", docPW},
		{"pdf-aes256-r5-xref.pdf", "AES-256", docPW},
		{"pdf-aes256-linearized.pdf", "AES-256", docPW},
		{"pdf-aes256-trailer-nl.pdf", "AES-256", docPW},
		{"pdf-lo-rc4-128.pdf", "RC4-128", docPW},
		{"pdf-owner-only.pdf", "AES-256", ""},
		{"pdf-owner-only-xref.pdf", "AES-256", ""},
		{"pdf-lo-owner-only.pdf", "RC4-128", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			b := fixture(t, tt.file)
			c, err := NewPDFPasswordChecker(bytes.NewReader(b), int64(len(b)), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if c.Method() != tt.method {
				t.Errorf("Method = %q, want %q", c.Method(), tt.method)
			}
			want := map[string]string{tt.user: "user", docOwnerPW: "owner", "wrong": "", "secret12": "", docPW + " ": ""}
			if tt.user != "" {
				want[""] = ""
			} else {
				want[docPW] = ""
			}
			for pw, kind := range want {
				got, err := c.Opens(pw)
				if err != nil || got != kind {
					t.Errorf("Opens(%q) = %q, %v; want %q", pw, got, err, kind)
				}
				if ok, _ := c.Check(pw); ok != (kind != "") {
					t.Errorf("Check(%q) = %v", pw, ok)
				}
			}
		})
	}
}

func TestPDFPasswordCheckerErrors(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"plain", fixture(t, "pdf-plain.pdf"), ErrNotEncrypted},
		{"public key", pubSecPDF(), ErrCannotVerify},
		{"not a PDF", fixture(t, "office-rc4.doc"), ErrUnscannable},
		{"no trailer", []byte("%PDF-1.7\n1 0 obj << >> endobj\n"), ErrUnscannable},
	}
	for _, tt := range tests {
		_, err := NewPDFPasswordChecker(bytes.NewReader(tt.b), int64(len(tt.b)), Limits{})
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// Passwords that are not ASCII: revision 6 hashes UTF-8; revisions 2-4
// take bytes (Latin-1 for PDFDocEncoding, or CP932 on Japanese systems).
func TestPDFPasswordEncodings(t *testing.T) {
	sec := &pdfSecurity{r: 6}
	if got := sec.pdfPasswordBytes("ｐａｓｓ"); len(got) != 2 || string(got[1]) != "pass" {
		t.Errorf("R6 candidates = %q, want the UTF-8 and the NFKC form", got)
	}
	sec.r = 3
	got := sec.pdfPasswordBytes("パスワード")
	if len(got) != 2 || !bytes.Equal(got[1], []byte{0x83, 0x70, 0x83, 0x58, 0x83, 0x8f, 0x81, 0x5b, 0x83, 0x68}) {
		t.Errorf("R3 candidates = %q, want UTF-8 and CP932", got)
	}
	if got := sec.pdfPasswordBytes("café"); len(got) != 2 || string(got[1]) != "caf\xe9" {
		t.Errorf("R3 candidates = %q, want UTF-8 and Latin-1 (CP932 has no é)", got)
	}
}

// --- building hostile PDFs ---

// pdfValue writes a parsed object back in PDF syntax.
func pdfValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case pdfName:
		return "/" + string(v)
	case pdfString:
		return fmt.Sprintf("<%x>", string(v))
	case pdfRef:
		return fmt.Sprintf("%d %d R", v.num, v.gen)
	case pdfArray:
		var s []string
		for _, e := range v {
			s = append(s, pdfValue(e))
		}
		return "[" + strings.Join(s, " ") + "]"
	case pdfDict:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, string(k))
		}
		sort.Strings(keys)
		var s []string
		for _, k := range keys {
			s = append(s, "/"+k+" "+pdfValue(v[pdfName(k)]))
		}
		return "<< " + strings.Join(s, " ") + " >>"
	}
	panic(fmt.Sprintf("pdfValue %T", v))
}

// encryptOf returns the encryption dictionary and /ID of a fixture, in
// PDF syntax.
func encryptOf(t testing.TB, file string) (enc, id string) {
	t.Helper()
	b := fixture(t, file)
	s := &scanner{lim: DefaultLimits(), left: 1 << 30}
	f, err := s.openPDF(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.resolve(f.trailer["Encrypt"].(pdfRef))
	if err != nil {
		t.Fatal(err)
	}
	return pdfValue(v), pdfValue(f.trailer["ID"])
}

var startxrefRE = regexp.MustCompile(`startxref\s+(\d+)`)

func lastStartxref(b []byte) int {
	m := startxrefRE.FindAllSubmatch(b, -1)
	n, _ := strconv.Atoi(string(m[len(m)-1][1]))
	return n
}

// appendUpdate appends objects (number -> body) and a cross-reference
// section whose trailer holds the given entries.
func appendUpdate(b []byte, objs map[int]string, trailer string) []byte {
	out := append([]byte(nil), b...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	nums := make([]int, 0, len(objs))
	for n := range objs {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	offs := map[int]int{}
	for _, n := range nums {
		offs[n] = len(out)
		out = fmt.Appendf(out, "%d 0 obj\n%s\nendobj\n", n, objs[n])
	}
	xref := len(out)
	out = append(out, "xref\n0 1\n0000000000 65535 f \n"...)
	for _, n := range nums {
		out = fmt.Appendf(out, "%d 1\n%010d 00000 n \n", n, offs[n])
	}
	return fmt.Appendf(out, "trailer\n<< %s >>\nstartxref\n%d\n%%%%EOF\n", trailer, xref)
}

// plainPlusEncryptedUpdate: a plain PDF with an incremental update that
// adds an encryption dictionary (copied from an encrypted fixture). A
// reader would decrypt the old, plain objects into garbage, but their
// bytes stay readable: not protected.
func plainPlusEncryptedUpdate(t testing.TB, prev bool) []byte {
	plain := fixture(t, "pdf-plain.pdf")
	enc, id := encryptOf(t, "pdf-aes128.pdf")
	tr := "/Size 21 /Root 1 0 R /Encrypt 20 0 R /ID " + id
	if prev {
		tr += fmt.Sprintf(" /Prev %d", lastStartxref(plain))
	}
	return appendUpdate(plain, map[int]string{20: enc}, tr)
}

// minimalPDF is a one-object PDF with a hand-made trailer.
func minimalPDF(trailer string, objs map[int]string) []byte {
	if objs == nil {
		objs = map[int]string{}
	}
	objs[1] = "<< /Type /Catalog >>"
	return appendUpdate([]byte("%PDF-1.7\n"), objs, trailer)
}

func encPDF(encDict string) []byte {
	return minimalPDF("/Size 3 /Root 1 0 R /Encrypt 2 0 R /ID [<00112233445566778899aabbccddeeff> <00>]",
		map[int]string{2: encDict})
}

func pubSecPDF() []byte {
	return encPDF("<< /Filter /Adobe.PubSec /SubFilter /adbe.pkcs7.s5 /V 4 /R 4 /CF << /DefaultCryptFilter << /CFM /AESV2 /Recipients [<3000>] >> >> /StmF /DefaultCryptFilter /StrF /DefaultCryptFilter >>")
}

const (
	pdfTestO = "<" + "0102030405060708091011121314151617181920212223242526272829303132" + ">"
	pdfTestU = pdfTestO
)

// objStmPDF stores the encryption dictionary inside a (Flate) object
// stream, listed by a cross-reference stream without predictor.
func objStmPDF(t testing.TB, enc string) []byte {
	var out bytes.Buffer
	out.WriteString("%PDF-1.7\n")
	offs := map[int]int{}
	obj := func(n int, s string) {
		offs[n] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", n, s)
	}
	obj(1, "<< /Type /Catalog >>")
	body := "2 0 " + enc
	flate := func(s []byte) []byte {
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		w.Write(s)
		w.Close()
		return z.Bytes()
	}
	stm := flate([]byte(body))
	offs[3] = out.Len()
	fmt.Fprintf(&out, "3 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream\nendobj\n", len(stm), stm)
	// Cross-reference stream: W [1 4 2], objects 0-4.
	xrefOff := out.Len()
	var rows []byte
	row := func(typ byte, a uint32, b uint16) {
		rows = append(rows, typ, byte(a>>24), byte(a>>16), byte(a>>8), byte(a), byte(b>>8), byte(b))
	}
	row(0, 0, 0xFFFF)
	row(1, uint32(offs[1]), 0)
	row(2, 3, 0) // object 2: in object stream 3, index 0
	row(1, uint32(offs[3]), 0)
	row(1, uint32(xrefOff), 0)
	x := flate(rows)
	fmt.Fprintf(&out, "4 0 obj\n<< /Type /XRef /Size 5 /W [1 4 2] /Root 1 0 R /Encrypt 2 0 R /ID [<00112233445566778899aabbccddeeff> <00>] /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", len(x), x, xrefOff)
	return out.Bytes()
}

// hybridPDF: a classic section whose trailer has /XRefStm pointing at a
// cross-reference stream whose dictionary has no /Encrypt (allowed: it is
// part of the same revision). With refer false, the stream is an orphan;
// with root, its dictionary names a catalog, like a plain revision's.
func hybridPDF(t testing.TB, refer, root bool) []byte {
	base := fixture(t, "pdf-aes128.pdf")
	s := &scanner{lim: DefaultLimits(), left: 1 << 30}
	f, err := s.openPDF(bytes.NewReader(base), int64(len(base)))
	if err != nil {
		t.Fatal(err)
	}
	out := append([]byte(nil), base...)
	xs := len(out)
	rows := []byte{1, 0, 0, 0}
	extra := ""
	if root {
		extra = " /Root " + pdfValue(f.trailer["Root"])
	}
	out = fmt.Appendf(out, "30 0 obj\n<< /Type /XRef /Size 31 /Index [30 1] /W [1 2 1]%s /Length %d >>\nstream\n%s\nendstream\nendobj\n",
		extra, len(rows), rows)
	tr := fmt.Sprintf("/Size 32 /Root %s /Encrypt %s /ID %s /Prev %d", pdfValue(f.trailer["Root"]),
		pdfValue(f.trailer["Encrypt"]), pdfValue(f.trailer["ID"]), lastStartxref(base))
	if refer {
		tr += fmt.Sprintf(" /XRefStm %d", xs)
	}
	return appendUpdate(out, map[int]string{31: "<< /N 1 >>"}, tr)
}

func TestInspectPDFHostile(t *testing.T) {
	aes := fixture(t, "pdf-aes256.pdf")
	brokenOffset := startxrefRE.ReplaceAll(append([]byte(nil), aes...), []byte("startxref\n17"))
	junk := append([]byte(strings.Repeat("junk before the header\n", 10)), aes...)
	std := func(extra string) string {
		return "<< /Filter /Standard /V 4 /R 4 /Length 128 /O " + pdfTestO + " /U " + pdfTestU + " /P -4 " + extra + " >>"
	}
	cf := "/CF << /StdCF << /CFM /AESV2 /AuthEvent /DocOpen /Length 16 >> >>"
	deep := strings.Repeat("[", 200) + strings.Repeat("]", 200)
	tests := []struct {
		name        string
		b           []byte
		protected   bool
		method      string
		note        string
		unscannable string
	}{
		{"plain PDF with an encrypted update appended", plainPlusEncryptedUpdate(t, true), false, "", "", "an earlier plain version of the document may be readable"},
		{"the same without /Prev", plainPlusEncryptedUpdate(t, false), false, "", "", "trailer without /Encrypt"},
		{"hybrid: /XRefStm without /Encrypt", hybridPDF(t, true, false), true, "AES-128", "", ""},
		{"hybrid: /XRefStm with /Root, without /Encrypt", hybridPDF(t, true, true), true, "AES-128", "", ""},
		{"orphan cross-reference stream without /Encrypt", hybridPDF(t, false, false), true, "AES-128", "", ""},
		{"orphan cross-reference stream with /Root, without /Encrypt", hybridPDF(t, false, true), false, "", "", "trailer without /Encrypt"},
		{"truncated to half", aes[:len(aes)/2], false, "", "", "PDF trailer not found"},
		{"startxref points nowhere", brokenOffset, true, "AES-256", "cross-reference is broken", ""},
		{"junk before %PDF-", junk, true, "AES-256", "", ""},
		{"encryption dictionary in an object stream", objStmPDF(t, std(cf+" /StmF /StdCF /StrF /StdCF")), true, "AES-128", "", ""},
		{"/Encrypt points at nothing", minimalPDF("/Size 3 /Root 1 0 R /Encrypt 9 0 R", nil), false, "", "", "PDF encryption dictionary 9 0 R not found"},
		{"/Encrypt is a number", minimalPDF("/Size 3 /Root 1 0 R /Encrypt 5", nil), false, "", "", "not a dictionary"},
		{"unknown security handler", encPDF("<< /Filter /FooSecurity /V 2 /R 3 >>"), false, "", "", "security handler /FooSecurity"},
		{"no /Filter", encPDF("<< /V 2 /R 3 >>"), false, "", "", "no /Filter"},
		{"public-key handler", pubSecPDF(), true, "AES-128", "Adobe.PubSec", ""},
		{"identity crypt filters", encPDF(std(cf + " /StmF /Identity /StrF /Identity")), false, "", "nothing is encrypted", ""},
		{"streams not encrypted", encPDF(std(cf + " /StrF /StdCF")), false, "AES-128", "only strings are encrypted", ""},
		{"undefined crypt filter", encPDF(std("/StmF /Nope")), false, "", "", "crypt filter /Nope is not defined"},
		{"unknown crypt method", encPDF(std("/CF << /X << /CFM /ROT13 >> >> /StmF /X /StrF /X")), false, "", "", "/ROT13 is unknown"},
		{"V 3", encPDF("<< /Filter /Standard /V 3 /R 3 >>"), false, "", "", "unpublished"},
		{"R 7", encPDF("<< /Filter /Standard /V 2 /R 7 /Length 128 /O " + pdfTestO + " /U " + pdfTestU + " /P -4 >>"), false, "", "", "revision 7 is not supported"},
		{"short /O", encPDF("<< /Filter /Standard /V 2 /R 3 /Length 128 /O <0102> /U " + pdfTestU + " /P -4 >>"), false, "", "", "shorter than 32 bytes"},
		{"bad key length", encPDF("<< /Filter /Standard /V 2 /R 3 /Length 12 /O " + pdfTestO + " /U " + pdfTestU + " /P -4 >>"), false, "", "", "key length 12 is invalid"},
		{"deep nesting", minimalPDF("/Size 2 /Root 1 0 R /X "+deep, nil), false, "", "", "PDF trailer not found"},
		{"/Prev loops", minimalPDF("/Size 2 /Root 1 0 R /Prev 9", nil), false, "", "cross-reference is broken", ""},
		{"no startxref, a trailer", []byte("%PDF-1.4\ntrailer << /Root 1 0 R >>\n"), false, "", "no startxref", ""},
		{"empty", []byte("%PDF-"), false, "", "", "PDF trailer not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkDocument(t, inspectBytes(tt.b, Limits{}), FormatPDF, tt.protected, tt.method, tt.note, tt.unscannable)
		})
	}
}

func TestPDFLimits(t *testing.T) {
	b := fixture(t, "pdf-lo-rc4-128.pdf")
	res := inspectBytes(b, Limits{MaxBytes: 4096})
	if res.Unscannable != "PDF exceeds the 4096-byte limit" {
		t.Errorf("Unscannable = %q", res.Unscannable)
	}
	// A cross-reference stream that inflates beyond what its /Index can
	// need is refused, not inflated.
	bomb := bytes.Repeat([]byte{0}, 1<<20)
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(bomb)
	w.Close()
	x := fmt.Sprintf("%%PDF-1.7\n1 0 obj\n<< /Type /XRef /Size 2 /W [1 2 1] /Root 1 0 R /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream\nendobj\nstartxref\n9\n%%%%EOF\n", z.Len(), z.Bytes())
	res = inspectBytes([]byte(x), Limits{})
	if res.Unscannable == "" && !hasNote(res, "inflates to more than") {
		t.Errorf("got %+v", res)
	}
}

func TestPDFSyntax(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{`(a\(b\)c)`, pdfString("a(b)c")},
		{"(nested (parens) ok)", pdfString("nested (parens) ok")},
		{`(\101\60\0619)`, pdfString("A019")},
		{"(line\r\nbreak\rhere)", pdfString("line\nbreak\nhere")},
		{"(cont\\\r\ninued)", pdfString("continued")},
		{`(\n\t\\)`, pdfString("\n\t\\")},
		{"<41 42\n43>", pdfString("ABC")},
		{"<414>", pdfString("A@")},
		{"/A#42C", pdfName("ABC")},
		{"12 0 R", pdfRef{12, 0}},
		{"-3", int64(-3)},
		{"[1 2 R 3]", pdfArray{pdfRef{1, 2}, int64(3)}},
		{"[1 2 0 R]", pdfArray{int64(1), pdfRef{2, 0}}},
		{"<</K [true null] /F 1.5>>", pdfDict{"K": pdfArray{true, nil}, "F": 1.5}},
		{"% comment\n42", int64(42)},
	}
	for _, tt := range tests {
		p := &pdfParser{b: []byte(tt.in)}
		got, err := p.object()
		if err != nil || pdfValue(got) != pdfValue(tt.want) {
			t.Errorf("%q: got %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"[1 obj]", "<< /A endobj >>", "(unterminated", "<4g>", "<< /A 1", "<< 1 2 >>", "[1 2", ")", strings.Repeat("<<", 100)} {
		p := &pdfParser{b: []byte(bad)}
		if _, err := p.object(); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestPNGUnpredict(t *testing.T) {
	// Rows of 3 bytes with filters None, Sub, Up, Average, Paeth.
	in := []byte{
		0, 1, 2, 3,
		1, 1, 1, 1, // sub: 1, 2, 3
		2, 1, 1, 1, // up: 2, 3, 4
		3, 1, 1, 1, // average: (0+2)/2+1=2, (2+3)/2+1=3, (3+4)/2+1=4
		4, 5, 0, 0, // paeth: 2+5=7, then left 7, up 3, up-left 2: p=8, nearest is left: 7, 7
	}
	got, err := pngUnpredict(in, 3, 1)
	want := []byte{1, 2, 3, 1, 2, 3, 2, 3, 4, 2, 3, 4, 7, 7, 7}
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
	if _, err := pngUnpredict([]byte{9, 0, 0, 0}, 3, 1); err == nil {
		t.Error("filter type 9 accepted")
	}
}

// FuzzPDF feeds mutated PDFs to Inspect and the PDF password checker.
// Seeds: the PDF fixtures and the hostile files above.
// Run: go test -run "^$" -fuzz FuzzPDF -fuzztime 30s -fuzzminimizetime 100x ./policy/encryption/
func FuzzPDF(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "pdf-*"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add(plainPlusEncryptedUpdate(f, true))
	f.Add(hybridPDF(f, true, false))
	f.Add(objStmPDF(f, "<< /Filter /Standard /V 2 /R 3 /Length 128 /O "+pdfTestO+" /U "+pdfTestU+" /P -4 >>"))
	f.Add(pubSecPDF())
	lim := Limits{MaxBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, b []byte) {
		res := inspectBytes(b, lim)
		if strings.HasPrefix(res.Unscannable, "internal error") {
			t.Fatalf("Inspect recovered from a panic: %s", res.Unscannable)
		}
		if res.Protected && res.Unscannable != "" {
			t.Fatalf("protected and unscannable: %+v", res)
		}
		c, err := NewPDFPasswordChecker(bytes.NewReader(b), int64(len(b)), lim)
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return
		}
		if _, err := c.Check(docPW); err != nil {
			t.Fatal(err)
		}
	})
}

// Cost of one wrong candidate (user then owner password), per revision.
func BenchmarkPDFPasswordCheck(b *testing.B) {
	for _, bc := range []struct{ name, file string }{
		{"R2-RC4-40", "pdf-rc4-40.pdf"},
		{"R3-RC4-128", "pdf-rc4-128.pdf"},
		{"R4-AES-128", "pdf-aes128.pdf"},
		{"R5-AES-256", "pdf-aes256-r5.pdf"},
		{"R6-AES-256", "pdf-aes256.pdf"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data := fixture(b, bc.file)
			c, err := NewPDFPasswordChecker(bytes.NewReader(data), int64(len(data)), Limits{})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.Check("wrong password")
			}
		})
	}
}

// Inspect on a protected file, which includes the empty-password test.
func BenchmarkInspectPDF(b *testing.B) {
	for _, file := range []string{"pdf-aes256.pdf", "pdf-aes128-xref.pdf", "pdf-lo-rc4-128.pdf"} {
		b.Run(file, func(b *testing.B) {
			data := fixture(b, file)
			for i := 0; i < b.N; i++ {
				inspectBytes(data, Limits{})
			}
		})
	}
}

// TestPDFPlainStreamsUnderEncrypt: a PDF whose /Encrypt dictionary and
// password check are real but whose content stream is plaintext (the
// ciphertext of a qpdf-encrypted file replaced by a zlib stream of page
// text, same length) is not protected.
func TestPDFPlainStreamsUnderEncrypt(t *testing.T) {
	page := bytes.Repeat([]byte("BT (Yamada) Tj ET\n"), 40)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(page)
	zw.Close()
	for _, name := range []string{"pdf-aes128.pdf", "pdf-rc4-128.pdf", "pdf-aes256.pdf"} {
		b := bytes.Clone(fixture(t, name))
		if res := inspectBytes(b, Limits{}); !res.Protected {
			t.Fatalf("%s: not protected to begin with: %+v", name, res)
		}
		i := bytes.Index(b, []byte("/Filter /FlateDecode /Length "))
		if i < 0 {
			t.Fatalf("%s: no FlateDecode stream", name)
		}
		var n int
		fmt.Sscanf(string(b[i+len("/Filter /FlateDecode /Length "):]), "%d", &n)
		s := bytes.Index(b[i:], []byte("stream\n")) + i + len("stream\n")
		if z.Len() > n {
			t.Fatalf("%s: the stream (%d bytes) is shorter than the plaintext's zlib form (%d)", name, n, z.Len())
		}
		copy(b[s:s+n], z.Bytes())
		res := inspectBytes(b, Limits{})
		if res.Protected || !hasNote(res, "is not encrypted (its content is readable)") {
			t.Errorf("%s with a plaintext stream: protected %v, notes %q", name, res.Protected, res.Notes)
		}
	}
}
