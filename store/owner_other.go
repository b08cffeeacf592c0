//go:build !unix

package store

import "os"

func giveToDirOwner(*os.File, string) error { return nil }
