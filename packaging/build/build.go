package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
)

// nfpmModule is the nfpm command run by `go run`, pinned so that every
// build of a given sendguard commit makes the same package.
const nfpmModule = "github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0"

// modulePath names sendguard's go.mod, to find the repository root.
const modulePath = "github.com/sendguard/sendguard"

// debianVersion is what dpkg accepts as an upstream version without an
// epoch: a digit first, then letters, digits and . + ~ -.
var debianVersion = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~-]*$`)

// goArch maps the Debian architectures the package is built for to GOARCH.
var goArch = map[string]string{"amd64": "amd64", "arm64": "arm64"}

// Options says what to build.
type Options struct {
	Root    string    // repository root (holds go.mod and packaging/)
	Version string    // Debian version, e.g. 0.3.0 or 0.3.0~rc1
	Arch    string    // Debian architecture: amd64 or arm64
	OutDir  string    // where the .deb goes; relative to Root unless absolute
	Log     io.Writer // go's and nfpm's output
}

func (o Options) validate() error {
	if !debianVersion.MatchString(o.Version) {
		return fmt.Errorf("version %q: want a Debian version such as 0.3.0 (a digit first, then letters, digits and . + ~ -)", o.Version)
	}
	if _, ok := goArch[o.Arch]; !ok {
		return fmt.Errorf("architecture %q: want amd64 or arm64", o.Arch)
	}
	return nil
}

// Build makes the package and returns its path: the binary (static,
// CGO_ENABLED=0, -trimpath) and the packaged configuration go to a
// temporary staging directory, then nfpm writes OutDir/sendguard_VERSION_ARCH.deb.
func Build(ctx context.Context, o Options) (string, error) {
	if err := o.validate(); err != nil {
		return "", err
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	stage, err := os.MkdirTemp("", "sendguard-package-")
	if err != nil {
		return "", fmt.Errorf("staging directory: %w", err)
	}
	defer os.RemoveAll(stage)

	gobuild := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w",
		"-o", filepath.Join(stage, "sendguard"), "./cmd/sendguard")
	gobuild.Dir = o.Root
	gobuild.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goArch[o.Arch])
	gobuild.Stdout, gobuild.Stderr = o.Log, o.Log
	if err := gobuild.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/sendguard: %w", err)
	}

	example, err := os.ReadFile(filepath.Join(o.Root, "config.example.toml"))
	if err != nil {
		return "", fmt.Errorf("packaged configuration: %w", err)
	}
	conf, err := packagedConfig(example)
	if err != nil {
		return "", fmt.Errorf("packaged configuration from config.example.toml: %w", err)
	}
	if err := os.WriteFile(filepath.Join(stage, "sendguard.toml"), conf, 0o640); err != nil {
		return "", fmt.Errorf("packaged configuration: %w", err)
	}

	out := o.OutDir
	if !filepath.IsAbs(out) {
		out = filepath.Join(o.Root, out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", fmt.Errorf("output directory: %w", err)
	}
	deb := filepath.Join(out, fmt.Sprintf("sendguard_%s_%s.deb", o.Version, o.Arch))
	nfpm := exec.CommandContext(ctx, "go", "run", nfpmModule, "pkg",
		"--config", filepath.Join("packaging", "nfpm.yaml"), "--packager", "deb", "--target", deb)
	nfpm.Dir = o.Root
	// GOFLAGS from the caller (e.g. -mod=vendor) would not apply to nfpm's
	// own module; CGO is not needed by nfpm.
	nfpm.Env = append(os.Environ(), "GOFLAGS=", "SENDGUARD_STAGE="+stage,
		"SENDGUARD_VERSION="+o.Version, "SENDGUARD_ARCH="+o.Arch)
	nfpm.Stdout, nfpm.Stderr = o.Log, o.Log
	if err := nfpm.Run(); err != nil {
		return "", fmt.Errorf("nfpm (%s): %w", nfpmModule, err)
	}
	return deb, nil
}

// moduleRoot walks up from the working directory to sendguard's go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(data, []byte("module "+modulePath+"\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("not inside the sendguard repository (no go.mod of %s above the working directory)", modulePath)
		}
		dir = parent
	}
}
