package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/sendguard/sendguard/config"
	"github.com/sendguard/sendguard/policy"
)

// loadConfig reads the file and compiles its policy, printing warnings to w.
func loadConfig(path string, w io.Writer) (*config.File, *policy.Policy, error) {
	if path == "" {
		return nil, nil, fail(exitUsage, "--config FILE is required")
	}
	f, err := config.Load(path)
	if err != nil {
		return nil, nil, &exitError{code: exitConfig, err: err}
	}
	p, warnings, err := f.CompilePolicy()
	for _, w2 := range append(f.Warnings, warnings...) {
		fmt.Fprintf(w, "warning: %s\n", w2.Error())
	}
	if err != nil {
		return nil, nil, &exitError{code: exitConfig, err: err}
	}
	return f, p, nil
}

// lintCmd validates the configuration and its policy and prints every
// problem in one run, each with its file, line and key. Exit status: 0 valid
// (warnings may be printed), 1 problems found, 64 usage, 78 the file could
// not be read.
func lintCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("policy lint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file")
	if err := parseFlags("policy lint", fs, args, stdout); err != nil {
		return err
	}
	if *path == "" {
		return fail(exitUsage, "--config FILE is required")
	}
	warnings, errs, err := config.Lint(*path)
	if err != nil {
		return &exitError{code: exitConfig, err: err}
	}
	for _, w := range warnings {
		fmt.Fprintf(stdout, "warning: %s\n", w.Error())
	}
	if len(errs) > 0 {
		fmt.Fprintln(stdout, errs.Error())
		return &exitError{code: 1, err: errors.New("")}
	}
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	return nil
}
