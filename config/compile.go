package config

import (
	"errors"
	"strings"

	"github.com/sendguard/sendguard/policy"
)

// CompilePolicy compiles the policy sections. Warnings are returned with their
// lines; errors come as Errors.
func (f *File) CompilePolicy() (*policy.Policy, Errors, error) {
	cfg := f.Config
	cfg.ExplainTemplates = f.Explain.Templates
	cfg.Attachments.SpoolDir = f.resolve(cfg.Attachments.SpoolDir)
	if cfg.Attachments.SpoolDir == "" {
		cfg.Attachments.SpoolDir = f.resolve(f.Server.SpoolDir)
	}
	p, warnings, err := policy.Compile(cfg)
	warns := f.policyErrors(warnings)
	var ce *policy.CompileError
	if errors.As(err, &ce) {
		return nil, warns, f.policyErrors(ce.Issues)
	}
	if err != nil {
		return nil, warns, err
	}
	return p, warns, nil
}

func (f *File) policyErrors(issues []policy.Issue) Errors {
	var out Errors
	for _, is := range issues {
		file, lines := f.PolicyPath, f.PolicyLines
		if strings.HasPrefix(is.Key, "explain.") {
			file, lines = f.Path, f.Lines // [explain] lives in the main file
		}
		out = append(out, Error{File: file, Line: lineOf(lines, is.Key), Key: is.Key, Msg: is.Msg})
	}
	return out
}

// lineOf finds the line of key, or of its closest parent that is in the file.
func lineOf(lines map[string]int, key string) int {
	for k := key; k != ""; {
		if l, ok := lines[k]; ok {
			return l
		}
		i := strings.LastIndexByte(k, '.')
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return 0
}
