package encryption

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestZZPw(t *testing.T) {
	pat := os.Getenv("PW")
	if pat == "" {
		t.Skip()
	}
	files, _ := filepath.Glob(pat)
	for _, p := range files {
		b, _ := os.ReadFile(p)
		c, err := New7zPasswordChecker(bytes.NewReader(b), int64(len(b)), Limits{})
		if err != nil {
			fmt.Printf("%s: %v\n", filepath.Base(p), err)
			continue
		}
		for _, pw := range []string{"secret123", "Sommer2024!", "パスワード", "wrong"} {
			t0 := time.Now()
			ok, err := c.Check(pw)
			fmt.Printf("%s: targets=%d %q -> %v %v (%v)\n", filepath.Base(p), len(c.targets), pw, ok, err, time.Since(t0))
		}
	}
}
