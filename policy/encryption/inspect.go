package encryption

import (
	"archive/zip"
	"fmt"
	"io"
)

// Limits bound the work done on one attachment. Zero or negative fields
// mean "use the default" (see DefaultLimits).
type Limits struct {
	MaxEntries int   // entries per archive (default 10000)
	MaxNesting int   // archive inside archive depth (default 3)
	MaxBytes   int64 // bytes read/inflated per attachment in total (default 100 MiB)
	MaxRatio   int64 // declared compression ratio considered a bomb (default 1000)
}

// DefaultLimits returns the limits used for zero fields of a Limits.
func DefaultLimits() Limits {
	return Limits{MaxEntries: 10000, MaxNesting: 3, MaxBytes: 100 << 20, MaxRatio: 1000}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxNesting <= 0 {
		l.MaxNesting = d.MaxNesting
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	return l
}

// Entry is one member of an archive.
type Entry struct {
	Name           string // as stored (raw bytes; UTF-8 for modern writers)
	Encrypted      bool
	Method         string // encryption: "ZipCrypto", "AES-256", ...; "" when not encrypted
	Compression    string // "store", "deflate", "bzip2", "method 12345", ...
	Size           uint64 // declared uncompressed size
	CompressedSize uint64 // declared stored size (includes encryption overhead)
	Dir            bool   // a directory: name ends in "/" and it holds no data
}

// Result is what Inspect found out about one file.
type Result struct {
	Format Format
	// Name is the entry name inside the parent archive for a nested
	// result, "" for the attachment itself.
	Name string
	// Protected: the file's content is encrypted. For ZIP: every file
	// entry is encrypted, there is at least one, and nothing is
	// Unscannable. A ZIP with no file entries (empty, or directories only)
	// has nothing to protect and is not Protected.
	Protected bool
	// Method names the encryption methods seen, in order of first use:
	// "ZipCrypto", "AES-256", "ZipCrypto, AES-128"; "" when none.
	Method string
	// Unscannable is a non-empty English reason when the file cannot be
	// judged (corrupt, hostile, over a limit). Callers must fail closed;
	// Protected is always false then.
	Unscannable string
	Entries     []Entry
	// PlainEntries names the file entries that are not encrypted.
	PlainEntries []string
	// Nested holds results for plain entries that are themselves files
	// of a known format (an archive in an archive, a PDF in a ZIP, ...),
	// up to Limits.MaxNesting levels. Encrypted entries are never opened.
	Nested []Result
	// Notes are observations that did not decide the result.
	Notes []string
}

// PlainContainerOfProtected reports whether r is an unencrypted archive
// whose every plain file entry is itself a Protected file (for the policy
// option allow_plain_container_of_protected). Encrypted entries and
// directories of r are fine; an entry that was not identified, or is
// unscannable, is not.
func (r Result) PlainContainerOfProtected() bool {
	if r.Unscannable != "" || len(r.PlainEntries) == 0 {
		return false
	}
	nested := make(map[string]Result, len(r.Nested))
	for _, n := range r.Nested {
		nested[n.Name] = n
	}
	for _, name := range r.PlainEntries {
		if n, ok := nested[name]; !ok || !n.Protected {
			return false
		}
	}
	return true
}

// Inspect identifies the file in r (size bytes) and reports whether it is
// protected. It never panics: on hostile or corrupt input it returns a
// Result with Unscannable set.
func Inspect(r io.ReaderAt, size int64, lim Limits) Result {
	lim = lim.withDefaults()
	s := &scanner{lim: lim, left: lim.MaxBytes}
	return s.inspect(r, size, 0)
}

// Inspection is what InspectFile found out about a file: its Result and,
// for a ZIP archive, the directory it parsed, which ZipPasswordChecker and
// ZipReader reuse instead of reading the archive again.
type Inspection struct {
	Result
	r    io.ReaderAt
	size int64
	lim  Limits
	zip  *zipArchive // the attachment's own ZIP directory; nil when not parsed
	// zipReason is why the archive is unscannable ("" when it is not), as
	// parseZip said.
	zipReason string
}

// InspectFile is Inspect, keeping what the password checker and the reader
// of ZIP comments need.
func InspectFile(r io.ReaderAt, size int64, lim Limits) *Inspection {
	lim = lim.withDefaults()
	s := &scanner{lim: lim, left: lim.MaxBytes}
	res := s.inspect(r, size, 0)
	return &Inspection{Result: res, r: r, size: size, lim: lim, zip: s.topZip, zipReason: s.topZipReason}
}

// ZipPasswordChecker returns NewZipPasswordChecker(r, size, lim) for the
// file InspectFile inspected, built from the directory it parsed.
func (in *Inspection) ZipPasswordChecker() (*ZipPasswordChecker, error) {
	if in.zip == nil {
		return NewZipPasswordChecker(in.r, in.size, in.lim)
	}
	return newZipPasswordChecker(in.r, in.size, in.lim, in.zip, in.zipReason)
}

// ZipReader returns zip.NewReader(r, size) for the file InspectFile
// inspected: the reader its ZIP check made, when it got that far.
func (in *Inspection) ZipReader() (*zip.Reader, error) {
	if in.zip == nil || !in.zip.zrRead {
		return zip.NewReader(in.r, in.size)
	}
	return in.zip.zr, in.zip.zrErr
}

// scanner carries the limits and the byte budget shared by an attachment
// and everything nested in it.
type scanner struct {
	lim      Limits
	left     int64     // bytes that may still be read or inflated
	inflater io.Reader // reused by entryReader
	// topZip and topZipReason are parseZip's result for the attachment
	// itself (not a nested file), kept for Inspection.
	topZip       *zipArchive
	topZipReason string
}

// charge takes n bytes from the budget; false when it is exhausted.
func (s *scanner) charge(n int64) bool {
	if n < 0 || n > s.left {
		s.left = 0
		return false
	}
	s.left -= n
	return true
}

func (s *scanner) inspect(r io.ReaderAt, size int64, depth int) (res Result) {
	defer func() {
		// Belt and braces: a bug must not take the gateway down, and an
		// attachment we failed on is undecidable. FuzzInspect checks that
		// this never fires.
		if v := recover(); v != nil {
			res = Result{Format: res.Format, Name: res.Name, Unscannable: fmt.Sprintf("internal error: %v", v)}
		}
	}()
	if size < 0 {
		return Result{Unscannable: "negative size"}
	}
	head := make([]byte, min(size, IdentifyHeadSize))
	if _, err := r.ReadAt(head, 0); err != nil && err != io.EOF {
		return Result{Unscannable: fmt.Sprintf("reading the first bytes: %v", err)}
	}
	f := Identify(head)
	switch f {
	case FormatZIP:
		return s.inspectZIP(r, size, depth)
	case Format7z:
		return s.inspect7z(r, size, depth)
	case FormatRAR:
		return s.inspectRAR(r, size, depth)
	case FormatPGP:
		return s.inspectPGP(r, size)
	case FormatUnknown: // S/MIME (CMS) files and OpenPGP armor that is not a message
		return s.inspectUnidentified(r, size, head, depth)
	case FormatPDF:
		return s.inspectPDF(r, size)
	case FormatCFB:
		return s.inspectCFB(r, size)
	// Other formats: add their inspectors here (7z, RAR, PDF, CFB, PGP).
	default:
		return Result{Format: f}
	}
}

// internalError, deferred by the exported entry points, turns a panic below
// it into an error in *err: a bug must not take the gateway down, and a
// file it failed on is undecidable (with unscannable, the error wraps
// ErrUnscannable). The fuzz targets check that it never fires.
func internalError(err *error, unscannable bool) {
	v := recover()
	if v == nil {
		return
	}
	if unscannable {
		*err = fmt.Errorf("%w: internal error: %v", ErrUnscannable, v)
		return
	}
	*err = fmt.Errorf("internal error: %v", v)
}
