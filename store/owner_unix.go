//go:build unix

package store

import (
	"os"
	"syscall"
)

// giveToDirOwner makes f belong to the owner of dir when this process
// runs as root (anyone else can only create files it owns).
func giveToDirOwner(f *os.File, dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 && st.Gid == 0 {
		return nil
	}
	return f.Chown(int(st.Uid), int(st.Gid))
}
