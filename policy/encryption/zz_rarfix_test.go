package encryption

import (
	"os"
	"path/filepath"
	"testing"
)

func TestZZRarFix(t *testing.T) {
	d := os.Getenv("RARFIX")
	if d == "" {
		t.Skip()
	}
	for n, b := range rarFixtureCache {
		os.WriteFile(filepath.Join(d, n+".rar"), b, 0o644)
	}
}
