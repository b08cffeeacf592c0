// Command build makes the sendguard Debian package:
//
//	go run ./packaging/build [-out dist] [-arch amd64] VERSION
//
// writes dist/sendguard_VERSION_ARCH.deb. It builds the binary and the
// packaged configuration (config.example.toml with absolute paths under
// /var/lib/sendguard and /var/spool/sendguard) into a staging directory
// and hands them to nfpm (packaging/nfpm.yaml), run as a pinned Go module:
// nfpm is maintained, pure Go, writes .deb files without dpkg-deb, marks
// conffiles and carries the maintainer scripts, and `go run module@version`
// keeps it out of sendguard's own go.mod.
//
// Exit status: 0 built, 64 usage error, 70 build failure (sysexits).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

const (
	exitOK       = 0
	exitUsage    = 64
	exitSoftware = 70
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the command line: flags, then Build, with what nfpm and go say
// passed through to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "dist", "directory for the .deb (relative to the repository root)")
	arch := fs.String("arch", "amd64", "Debian architecture (and GOARCH): amd64 or arm64")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./packaging/build [-out DIR] [-arch ARCH] VERSION\n\n"+
			"Builds DIR/sendguard_VERSION_ARCH.deb (default dist/) with nfpm %s.\n"+
			"Exit status: 0 built, 64 usage error, 70 build failure.\n\n", nfpmModule)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintf(stderr, "build: %v\n", err)
		return exitSoftware
	}
	opts := Options{Root: root, Version: fs.Arg(0), Arch: *arch, OutDir: *out, Log: stderr}
	if err := opts.validate(); err != nil {
		fmt.Fprintf(stderr, "build: %v\n", err)
		return exitUsage
	}
	deb, err := Build(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "build: %v\n", err)
		return exitSoftware
	}
	fmt.Fprintln(stdout, deb)
	return exitOK
}
