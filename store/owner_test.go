//go:build unix

package store_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/sendguard/sendguard/store"
)

// An operator who runs `sudo sendguard store check` (or hold list) before
// the service ever started creates the SQLite file as root: it must go to
// the owner of its directory (systemd's StateDirectory=, owned by the
// service's user), as SQLite itself does for the -wal and -shm files,
// or the service could not open its own store.
func TestSQLiteFileCreatedByRootBelongsToItsDirectorysOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 4242, 4343); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(dir, "sendguard.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, name := range []string{"sendguard.db", "sendguard.db-wal", "sendguard.db-shm"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if s := fi.Sys().(*syscall.Stat_t); s.Uid != 4242 || s.Gid != 4343 || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: owner %d:%d mode %v, want 4242:4343 0600", name, s.Uid, s.Gid, fi.Mode().Perm())
		}
	}
}
