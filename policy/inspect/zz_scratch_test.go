package inspect

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestScratchCorpus(t *testing.T) {
	files, _ := filepath.Glob(os.Getenv("SCRATCH_GLOB"))
	for _, f := range files {
		fh, _ := os.Open(f)
		m, err := Walk(fh, Limits{})
		fh.Close()
		fmt.Printf("== %s err=%v\n", filepath.Base(f), err)
		if m == nil {
			continue
		}
		fmt.Printf("  subj=%q from=%v to=%v id=%q enc=%q\n", m.Subject, m.From, m.To, m.MessageID, m.Encrypted)
		for _, a := range m.Attachments {
			fmt.Printf("  ATT %s %q %s disp=%s size=%d fwd=%v origin=%q\n", a.Path, a.Name, a.ContentType, a.Disposition, a.Size, a.Forwarded, a.Origin)
		}
		for _, a := range m.InlineImages {
			fmt.Printf("  INLINE %s %q %s\n", a.Path, a.Name, a.ContentType)
		}
		for _, p := range m.Problems {
			fmt.Printf("  PROBLEM %s: %s\n", p.Path, p.Reason)
		}
		for _, x := range m.Texts {
			c := []rune(x.Content)
			if len(c) > 60 {
				c = c[:60]
			}
			fmt.Printf("  TEXT %s %s %q\n", x.Path, x.Kind, string(c))
		}
		m.Close()
	}
}
