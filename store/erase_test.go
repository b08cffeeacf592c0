package store_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sendguard/sendguard/store"
)

// A message is held because of what is in it (personal data, a password,
// a customer list). Once it is cancelled, rejected, expired or relayed
// its body is deleted, and must not stay readable in the SQLite file's
// free pages: the store erases what it deletes.
func TestDoneBodiesAreErasedFromTheSQLiteFile(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "s.db")
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()}
	body := "Subject: list\r\n\r\n" + strings.Repeat("MARKER-個人番号-123456789012\r\n", 20000)
	for _, ref := range []string{"e1", "e2"} {
		if err := st.Hold(context.Background(), held(ref, store.StateConfirm, clk), strings.NewReader(body), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Decide(context.Background(), "e1", store.Cancel, []store.State{store.StateConfirm}, store.Actor{Name: "s"}, "", time.Hour, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Decide(context.Background(), "e2", store.Cancel, []store.State{store.StateConfirm}, store.Actor{Name: "s"}, "", time.Hour, nil); err != nil {
		t.Fatal(err)
	}
	st.Close()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(b, []byte("MARKER-個人番号")); n > 0 {
			t.Errorf("%s still holds the cancelled bodies' text %d times", e.Name(), n)
		}
	}
}
