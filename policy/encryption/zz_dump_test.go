package encryption

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestZZDump(t *testing.T) {
	pat := os.Getenv("DUMP")
	if pat == "" {
		t.Skip()
	}
	files, _ := filepath.Glob(pat)
	for _, p := range files {
		b, _ := os.ReadFile(p)
		res := Inspect(bytes.NewReader(b), int64(len(b)), Limits{})
		fmt.Printf("%s: format=%q prot=%v method=%q unsc=%q plain=%q notes=%q entries=%d\n", filepath.Base(p), res.Format, res.Protected, res.Method, res.Unscannable, res.PlainEntries, res.Notes, len(res.Entries))
		for _, e := range res.Entries {
			fmt.Printf("   %+v\n", e)
		}
		for _, n := range res.Nested {
			fmt.Printf("   nested %q: format=%q prot=%v method=%q unsc=%q\n", n.Name, n.Format, n.Protected, n.Method, n.Unscannable)
		}
	}
}
