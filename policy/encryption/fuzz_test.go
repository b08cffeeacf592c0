package encryption

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzInspect feeds arbitrary bytes to Inspect and the password checker.
// Seeds: every fixture in testdata/attachments and the hostile archives.
// Run: go test -fuzz FuzzInspect -fuzztime 30s ./policy/encryption/
func FuzzInspect(f *testing.F) {
	files, _ := fixtureFiles()
	for _, b := range files {
		f.Add(b)
	}
	enc, encData := zipCryptoLooking("a.txt", 8)
	f.Add(quotedOverlap())
	f.Add(shadowDirectory())
	f.Add(encryptedDirectoryZip(false))
	f.Add(buildZip(same(enc, encData)))
	lim := Limits{MaxEntries: 64, MaxBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, b []byte) {
		res := Inspect(bytes.NewReader(b), int64(len(b)), lim)
		if strings.HasPrefix(res.Unscannable, "internal error") {
			t.Fatalf("Inspect recovered from a panic: %s", res.Unscannable)
		}
		if res.Protected && res.Unscannable != "" {
			t.Fatalf("protected and unscannable: %+v", res)
		}
		var walk func(r Result)
		walk = func(r Result) {
			for _, n := range r.Nested {
				if strings.HasPrefix(n.Unscannable, "internal error") {
					t.Fatalf("nested: %s", n.Unscannable)
				}
				walk(n)
			}
		}
		walk(res)
		if c, err := NewZipPasswordChecker(bytes.NewReader(b), int64(len(b)), lim); err == nil {
			if _, _, err := c.Check("secret123"); err != nil && strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
		} else if strings.Contains(err.Error(), "internal error") {
			t.Fatal(err)
		}
	})
}
