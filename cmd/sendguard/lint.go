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

func lintCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("policy lint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file")
	if err := parseFlags("policy lint", fs, args, stdout); err != nil {
		return err
	}
	_, _, err := loadConfig(*path, stdout)
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) && ee.code == exitConfig {
			fmt.Fprintln(stdout, ee.err.Error())
			return &exitError{code: 1, err: errors.New("")}
		}
		return err
	}
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	return nil
}
