package encryption

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestInspectionReuse checks that what InspectFile keeps gives the same as
// parsing again: the Result of Inspect, the checker of
// NewZipPasswordChecker (or its error) and the reader of zip.NewReader.
func TestInspectionReuse(t *testing.T) {
	inputs, err := fixtureFiles()
	if err != nil {
		t.Fatal(err)
	}
	enc, encData := zipCryptoLooking("a.txt", 8)
	inputs["overlap-bomb"] = overlapBomb(t, 3)
	inputs["quoted-overlap"] = quotedOverlap()
	inputs["shadow-directory"] = shadowDirectory()
	inputs["encrypted-directory"] = encryptedDirectoryZip(false)
	inputs["encrypted-directory-plain"] = encryptedDirectoryZip(true)
	inputs["zipcrypto-looking"] = buildZip(same(enc, encData))
	inputs["nested"] = nestZip(t, "in.zip", fixture(t, "zipcrypto.zip"), 2)
	for name, b := range map[string][]byte{"zipcrypto.zip": inputs["zipcrypto.zip"], "aes256.zip": inputs["aes256.zip"]} {
		for _, n := range []int{1, 22, len(b) / 2, len(b) - 1} {
			inputs[fmt.Sprintf("%s[:%d]", name, n)] = b[:n]
		}
	}
	limits := []Limits{{}, {MaxEntries: 1}, {MaxBytes: 64}, {MaxBytes: 300}, {MaxBytes: 2000}, {MaxNesting: 1}}
	for name, b := range inputs {
		for _, lim := range limits {
			r, size := bytes.NewReader(b), int64(len(b))
			in := InspectFile(r, size, lim)
			if want := Inspect(r, size, lim); !reflect.DeepEqual(in.Result, want) {
				t.Errorf("%s %+v: InspectFile %+v, Inspect %+v", name, lim, in.Result, want)
			}
			c, err := in.ZipPasswordChecker()
			wantC, wantErr := NewZipPasswordChecker(r, size, lim)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(c, wantC) {
				t.Errorf("%s %+v: checker %+v (%v), want %+v (%v)", name, lim, c, err, wantC, wantErr)
			}
			zr, err := in.ZipReader()
			wantZR, wantErr := zip.NewReader(r, size)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) || comments(zr) != comments(wantZR) {
				t.Errorf("%s %+v: ZipReader %q (%v), want %q (%v)", name, lim, comments(zr), err, comments(wantZR), wantErr)
			}
		}
	}
}

// comments sums up what a reader says: archive comment, names, entry comments.
func comments(zr *zip.Reader) string {
	if zr == nil {
		return "<nil>"
	}
	var b strings.Builder
	b.WriteString(zr.Comment)
	for _, f := range zr.File {
		fmt.Fprintf(&b, "\n%s: %s", f.Name, f.Comment)
	}
	return b.String()
}

// fixtureFiles reads every fixture of testdata/attachments (not its
// scripts), by file name.
func fixtureFiles() (map[string][]byte, error) {
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*"))
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, p := range paths {
		if strings.HasSuffix(p, ".sh") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		files[filepath.Base(p)] = b
	}
	return files, nil
}

// TestInternalError: a panic below an entry point becomes an error, wrapped
// in ErrUnscannable for the constructors.
func TestInternalError(t *testing.T) {
	build := func() (err error) {
		defer internalError(&err, true)
		panic(fmt.Errorf("a bug"))
	}
	check := func() (ok bool, err error) {
		defer internalError(&err, false)
		panic("boom")
	}
	if err := build(); !errors.Is(err, ErrUnscannable) || !strings.Contains(err.Error(), "internal error") {
		t.Errorf("constructor: %v", err)
	}
	if ok, err := check(); ok || err == nil || errors.Is(err, ErrUnscannable) || !strings.Contains(err.Error(), "internal error: boom") {
		t.Errorf("check: %v %v", ok, err)
	}
}
