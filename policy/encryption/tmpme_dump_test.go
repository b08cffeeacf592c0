package encryption

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestTmpMeDump(t *testing.T) {
	files := os.Getenv("DUMPME")
	if files == "" {
		t.Skip()
	}
	for _, p := range strings.Fields(files) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		res := Inspect(bytes.NewReader(b), int64(len(b)), Limits{})
		fmt.Printf("%s: format=%s protected=%v method=%q unscannable=%q notes=%q\n", p, res.Format, res.Protected, res.Method, res.Unscannable, res.Notes)
		for _, pw := range strings.Split(os.Getenv("PWS"), ",") {
			if res.Format == FormatPDF {
				c, err := NewPDFPasswordChecker(bytes.NewReader(b), int64(len(b)), Limits{})
				if err != nil {
					fmt.Println("   checker:", err)
					break
				}
				k, err := c.Opens(pw)
				fmt.Printf("   %q -> %q %v\n", pw, k, err)
			} else if res.Format == FormatCFB {
				c, err := NewOfficePasswordChecker(bytes.NewReader(b), int64(len(b)), Limits{})
				if err != nil {
					fmt.Println("   checker:", err)
					break
				}
				ok, err := c.Check(pw)
				fmt.Printf("   %q -> %v %v\n", pw, ok, err)
			}
		}
	}
}
