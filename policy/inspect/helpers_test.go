package inspect

import (
	"encoding/base64"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

func sjisString(t *testing.T, s string) string {
	t.Helper()
	out, err := japanese.ShiftJIS.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func jisString(t *testing.T, s string) string {
	t.Helper()
	out, err := japanese.ISO2022JP.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func b64String(s string) string {
	return base64.StdEncoding.EncodeToString([]byte(s))
}

func eucEncode(s string) (string, error) {
	return japanese.EUCJP.NewEncoder().String(s)
}
