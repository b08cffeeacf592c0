// Package mailarchive reads the messages of mail archives — mbox files,
// Maildir directories and folders of .eml files — one at a time. Each message
// is streamed into a spool.Buffer (memory up to a threshold, a temporary file
// beyond it), so an archive of any size is read in bounded memory, and a
// message over the size limit is skipped (and reported) without being held.
//
// What a path is:
//
//   - a file whose first line is an mbox "From " line is an mbox;
//   - a directory with cur/ and new/ subdirectories is a Maildir (its Maildir++
//     subfolders, ".Name" directories with cur/ and new/, are read too);
//   - the cur/ or new/ of a Maildir: its messages;
//   - any other directory: its *.eml files (and *.mbox files), recursively,
//     and the Maildirs in it; tmp/ subdirectories are skipped (sendguard's
//     capture upstream writes incomplete messages there);
//   - any other file: one message (.eml).
//
// The order is deterministic: paths in the order given, directory entries in
// lexical order, Maildir files by name (which starts with the delivery time).
package mailarchive

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/emersion/go-message/textproto"

	"github.com/sendguard/sendguard/spool"
)

// Format says how a message was stored.
type Format string

// Formats of the messages read.
const (
	FormatMbox    Format = "mbox"
	FormatMaildir Format = "maildir"
	FormatEML     Format = "eml"
)

// ErrTooLarge marks a message skipped because it is over Options.MaxBytes.
var ErrTooLarge = errors.New("message over the size limit")

// Options say where and how much to spool.
type Options struct {
	// SpoolDir holds messages over MemoryBytes ("" = the system's temporary
	// directory).
	SpoolDir string
	// MemoryBytes is how much of a message is kept in memory before it
	// spills to a temporary file (< 0: spool.DefaultThreshold).
	MemoryBytes int64
	// MaxBytes > 0 is the largest message read; larger ones are skipped
	// with Err wrapping ErrTooLarge.
	MaxBytes int64
}

// Message is one message of an archive. The callback of Walk owns it and must
// Close it.
type Message struct {
	// ID names the message for a person: the file's path, or for an mbox
	// "path#OFFSET" with the byte offset of its "From " line.
	ID   string
	Path string
	// Offset is the byte offset of the mbox "From " line (0 for other
	// formats).
	Offset int64
	Format Format
	// Size is the message's length in bytes as read (for an mbox: without
	// its "From " line, with ">From " lines unescaped). For a message
	// skipped as too large it is the length seen.
	Size int64
	// RawBytes is how many bytes of the archive the message took (progress
	// reporting).
	RawBytes int64
	// MessageID is the Message-ID header field, as written ("<…>").
	MessageID string
	// Header is the message's header (empty when it could not be parsed).
	Header textproto.Header
	// Err is set when the message was not read: errors.Is(Err, ErrTooLarge)
	// for one over Options.MaxBytes, or a read error. Data is nil then.
	Err error
	// Data holds the message; it is a ReaderAt of Size bytes.
	Data *spool.Buffer
}

// Close releases the message's spool (and removes its temporary file).
func (m *Message) Close() error {
	if m.Data == nil {
		return nil
	}
	err := m.Data.Close()
	m.Data = nil
	return err
}

// source is one file to read.
type source struct {
	path    string
	size    int64
	maildir bool
}

// Archive is the files that a list of paths names, enumerated by Open.
type Archive struct {
	opts    Options
	sources []source
}

// Open enumerates the files under paths. A path that does not exist or cannot
// be listed is an error.
func Open(paths []string, opts Options) (*Archive, error) {
	a := &Archive{opts: opts}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		switch {
		case !fi.IsDir():
			a.sources = append(a.sources, source{path: p, size: fi.Size()})
		case isMaildir(p):
			if err := a.addMaildir(p); err != nil {
				return nil, err
			}
		case isMaildirPart(p):
			if err := a.addMaildirPart(p); err != nil {
				return nil, err
			}
		default:
			if err := a.addFolder(p); err != nil {
				return nil, err
			}
		}
	}
	return a, nil
}

// Files is the number of files to read.
func (a *Archive) Files() int { return len(a.sources) }

// TotalBytes is the size of the files to read, for a progress display.
func (a *Archive) TotalBytes() int64 {
	var n int64
	for _, s := range a.sources {
		n += s.size
	}
	return n
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func isMaildir(p string) bool {
	return isDir(filepath.Join(p, "cur")) && isDir(filepath.Join(p, "new"))
}

// isMaildirPart says whether p is the cur/ or new/ of a Maildir.
func isMaildirPart(p string) bool {
	base := filepath.Base(filepath.Clean(p))
	return (base == "cur" || base == "new") && isMaildir(filepath.Dir(filepath.Clean(p)))
}

// addMaildirPart lists the messages of one of a Maildir's cur/ or new/.
func (a *Archive) addMaildirPart(dir string) error {
	files, err := maildirFiles(dir)
	a.sources = append(a.sources, files...)
	return err
}

func maildirFiles(dir string) ([]source, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []source
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // renamed (flags changed) or removed since the listing
		}
		files = append(files, source{path: filepath.Join(dir, e.Name()), size: fi.Size(), maildir: true})
	}
	return files, nil
}

// addMaildir lists new/ and cur/ (not tmp/, where deliveries are still being
// written) ordered by file name, then the Maildir++ subfolders.
func (a *Archive) addMaildir(dir string) error {
	var files []source
	for _, sub := range []string{"cur", "new"} {
		f, err := maildirFiles(filepath.Join(dir, sub))
		if err != nil {
			return err
		}
		files = append(files, f...)
	}
	sort.SliceStable(files, func(i, j int) bool {
		bi, bj := filepath.Base(files[i].path), filepath.Base(files[j].path)
		if bi != bj {
			return bi < bj
		}
		return files[i].path < files[j].path
	})
	a.sources = append(a.sources, files...)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		sub := filepath.Join(dir, e.Name())
		if strings.HasPrefix(e.Name(), ".") && e.IsDir() && isMaildir(sub) {
			if err := a.addMaildir(sub); err != nil {
				return err
			}
		}
	}
	return nil
}

// addFolder lists the .eml (and .mbox) files under dir, recursively, in
// lexical order; a Maildir found on the way is read as one.
func (a *Archive) addFolder(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != dir {
			if d.Name() == "tmp" {
				// Messages still being written (sendguard's capture
				// upstream, Maildir deliveries).
				return filepath.SkipDir
			}
			if isMaildir(p) {
				if err := a.addMaildir(p); err != nil {
					return err
				}
				return filepath.SkipDir
			}
		}
		if !d.Type().IsRegular() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".eml", ".mbox":
		default:
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		a.sources = append(a.sources, source{path: p, size: fi.Size()})
		return nil
	})
}

// Walk reads the messages in order and calls fn with each; fn owns the
// message and must Close it. A file that cannot be read is passed to fn as a
// message with Err set; Walk itself fails only when ctx is done or fn
// returns an error, and returns that error.
func (a *Archive) Walk(ctx context.Context, fn func(*Message) error) error {
	for _, s := range a.sources {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := a.readFile(ctx, s, fn); err != nil {
			return err
		}
	}
	return nil
}

// stopError carries an error of fn (or of ctx) out of a file's reader, to tell
// it from a read error of the file.
type stopError struct{ err error }

func (e stopError) Error() string { return e.err.Error() }

func (a *Archive) emit(ctx context.Context, fn func(*Message) error, m *Message) error {
	if err := ctx.Err(); err != nil {
		m.Close()
		return stopError{err}
	}
	if err := fn(m); err != nil {
		return stopError{err}
	}
	return nil
}

func (a *Archive) readFile(ctx context.Context, s source, fn func(*Message) error) error {
	format := FormatEML
	if s.maildir {
		format = FormatMaildir
	}
	f, err := os.Open(s.path)
	if err != nil {
		return unwrapStop(a.emit(ctx, fn, &Message{ID: s.path, Path: s.path, Format: format, Err: err, RawBytes: s.size}))
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(5)
	if string(head) == "From " {
		return unwrapStop(a.readMbox(ctx, s, br, fn))
	}
	m := &Message{ID: s.path, Path: s.path, Format: format, RawBytes: s.size}
	if a.opts.MaxBytes > 0 && s.size > a.opts.MaxBytes {
		m.Size = s.size
		m.Err = tooLarge(s.size, a.opts.MaxBytes)
		return unwrapStop(a.emit(ctx, fn, m))
	}
	buf := spool.New(a.opts.SpoolDir, a.opts.MemoryBytes, a.opts.MaxBytes)
	n, err := buf.ReadFrom(br)
	m.Size = n
	switch {
	case errors.Is(err, spool.ErrTooLarge):
		// The file grew since it was listed: count what is left.
		rest, _ := io.Copy(io.Discard, br)
		m.Size = n + rest
		m.Err = tooLarge(m.Size, a.opts.MaxBytes)
		buf.Close()
	case err != nil:
		m.Err = fmt.Errorf("read %s: %w", s.path, err)
		buf.Close()
	default:
		m.Data = buf
		m.Header, m.MessageID = readHeader(buf)
	}
	return unwrapStop(a.emit(ctx, fn, m))
}

func unwrapStop(err error) error {
	var se stopError
	if errors.As(err, &se) {
		return se.err
	}
	return err
}

func tooLarge(size, limit int64) error {
	return fmt.Errorf("%w (%d bytes, limit %d)", ErrTooLarge, size, limit)
}

// headerLimit bounds how much of a message is read as its header.
const headerLimit = 1 << 20

// readHeader parses the message's header; of a malformed header it keeps
// the fields before the fault.
func readHeader(r io.ReaderAt) (textproto.Header, string) {
	h, _ := textproto.ReadHeader(bufio.NewReader(io.NewSectionReader(r, 0, headerLimit)))
	return h, strings.TrimSpace(h.Get("Message-Id"))
}

var (
	// fromLine is the mbox separator as mail tools write it: "From " then
	// the envelope sender and a date with a time of day and a year.
	fromLine = regexp.MustCompile(`^From \S+\s+.*\b\d{1,2}:\d{2}(:\d{2})?\b.*\b\d{4}\b`)
	// asctimeFromLine is the strict form, "From sender Www Mmm dd hh:mm:ss
	// [zone] yyyy", trusted even without a blank line before it.
	asctimeFromLine = regexp.MustCompile(`^From \S+\s+(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{1,2}\s+\d{1,2}:\d{2}(:\d{2})?(\s+[-+]?[A-Za-z0-9]+)?\s+\d{4}(\s+[-+]?[A-Za-z0-9]+)?\s*$`)
	// escapedFrom is a body line escaped by the mbox writer (mboxrd: any
	// number of '>' before "From "; mboxo: one).
	escapedFrom = regexp.MustCompile(`^>+From `)
)

// isSeparator says whether a complete line starts a new message of an mbox.
// A body line that starts with "From " (written by a careless mbox writer
// that did not escape it) is not taken for one unless it looks like a
// separator: a date with a time of day, after a blank line (or in strict
// asctime form).
func isSeparator(line []byte, afterBlank bool) bool {
	if !bytes.HasPrefix(line, []byte("From ")) {
		return false
	}
	l := bytes.TrimRight(line, "\r\n")
	if afterBlank && fromLine.Match(l) {
		return true
	}
	return asctimeFromLine.Match(l)
}

func isBlank(line []byte) bool {
	return string(line) == "\n" || string(line) == "\r\n"
}

// mboxMessage is the message being read from an mbox.
type mboxMessage struct {
	m   *Message
	buf *spool.Buffer
	err error
}

func (mm *mboxMessage) write(p []byte) {
	mm.m.Size += int64(len(p))
	if mm.err != nil {
		return
	}
	if _, err := mm.buf.Write(p); err != nil {
		mm.err = err
		mm.buf.Close()
		mm.buf = nil
	}
}

// readMbox splits an mbox on its "From " lines (mboxo and mboxrd): the
// separator line is not part of the message, nor is the blank line before
// the next separator, and body lines escaped as ">From " (">>From " …) lose
// one '>'. Content-Length headers (mboxcl) are not used.
func (a *Archive) readMbox(ctx context.Context, s source, br *bufio.Reader, fn func(*Message) error) error {
	var (
		off         int64 // offset of the next byte read
		cur         *mboxMessage
		pendBlank   []byte // a blank line held back: it belongs to the separator if one follows
		afterBlank  = true
		atLineStart = true
	)
	finish := func(end int64) error {
		if cur == nil {
			return nil
		}
		m := cur.m
		m.RawBytes = end - m.Offset
		switch {
		case errors.Is(cur.err, spool.ErrTooLarge):
			m.Err = tooLarge(m.Size, a.opts.MaxBytes)
		case cur.err != nil:
			if cur.buf != nil {
				cur.buf.Close()
			}
			m.Err = fmt.Errorf("read %s: %w", m.ID, cur.err)
		default:
			m.Data = cur.buf
			m.Header, m.MessageID = readHeader(cur.buf)
		}
		cur = nil
		return a.emit(ctx, fn, m)
	}
	start := func(at int64) {
		cur = &mboxMessage{
			m:   &Message{ID: fmt.Sprintf("%s#%d", s.path, at), Path: s.path, Offset: at, Format: FormatMbox},
			buf: spool.New(a.opts.SpoolDir, a.opts.MemoryBytes, a.opts.MaxBytes),
		}
	}
	for {
		line, rerr := br.ReadSlice('\n')
		if len(line) > 0 {
			lineStart := off
			off += int64(len(line))
			complete := rerr == nil || rerr == io.EOF
			switch {
			case atLineStart && complete && (lineStart == 0 || isSeparator(line, afterBlank)):
				// The first line is a separator whatever its date says
				// (the file was taken for an mbox because it starts "From ").
				if err := finish(lineStart); err != nil {
					return err
				}
				pendBlank = nil
				start(lineStart)
				afterBlank = false
			case atLineStart && complete && isBlank(line):
				if pendBlank != nil {
					cur.write(pendBlank)
				}
				pendBlank = append(pendBlank[:0], line...)
				afterBlank = true
			default:
				if cur == nil {
					start(lineStart) // a first line too long to be a separator
				}
				if pendBlank != nil {
					cur.write(pendBlank)
					pendBlank = nil
				}
				if atLineStart && escapedFrom.Match(line) {
					line = line[1:]
				}
				cur.write(line)
				afterBlank = false
			}
			atLineStart = line[len(line)-1] == '\n'
		}
		switch {
		case rerr == nil, rerr == bufio.ErrBufferFull:
			continue
		case rerr == io.EOF:
			// The blank line at the end of the file closes the last
			// message, like the one before each separator.
			return finish(off)
		default:
			if cur != nil && cur.err == nil {
				cur.err = rerr
			}
			return finish(off)
		}
	}
}
