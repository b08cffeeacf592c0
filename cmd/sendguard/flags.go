package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// errHelp ends a command that printed its usage because it was asked to:
// exit status 0, nothing more on standard error.
var errHelp = &exitError{code: 0, err: errors.New("")}

// Usage lines of the commands (the flags follow, from the FlagSet).
var commandUsage = map[string]string{
	"serve":       "serve --config FILE\n\nRun the gateway. Exit status: 0 after a graceful stop, 78 for a configuration error, 70 otherwise.",
	"check":       "check --config FILE [--from A] [--to A]... [--json] MESSAGE.eml|-\n\nDry run: print the verdict and the explanation a sender would get.\nExit status: 0 pass, 1 flag, 2 reject, 3 hold or approve (it says who must act), 64 usage or the file is not a mail message, 78 configuration, 70 internal error.",
	"policy lint": "policy lint --config FILE\n\nValidate the configuration and policy; print every error with its line and key.\nExit status: 0 valid, 1 invalid, 64 usage, 78 the file cannot be read.",
	"send":        "send --server HOST:PORT --from A --to A [--subject S] [--body T] [--attach FILE]... [MESSAGE.eml]\n\nSend a message and print the server's reply.\nExit status: 0 accepted, 2 refused (5xx), 75 temporary failure (4xx, no connection), 64 usage.",
	"passwd":      "passwd\n\nRead a password on standard input and print its bcrypt hash for [[server.users]].\nExit status: 0, 64 when no password was given.",
	"replay":      "replay --config FILE [--json] [--examples N] [--diff OTHER_CONFIG] MBOX|MAILDIR|DIR|MSG.eml...\n\nRun the policy over an archive, send nothing, print a summary per verdict and rule.\nExit status: 0, 64 usage, 78 configuration.",
	"hold":        "hold list [--json] [--all] | show REF [--json] | release REF | cancel REF [--comment TEXT] --config FILE\n\nThe held messages in the store, while the server runs: list them (--json: one object per line), show one with its audit trail, release it (a running sendguard relays it) or cancel it.\nExit status: 0 done, 1 no such message or it no longer waits, 64 usage, 78 configuration, 70 internal error.",
	"store check": "store check [--json] --config FILE\n\nOpen the store (applying missing schema migrations) and verify it: schema version, integrity, bodies of waiting messages, outbox deadlines.\nExit status: 0 healthy, 1 problems found, 64 usage, 78 configuration, 70 internal error.",
	"report":      "report --since DATE [--until DATE] [--format markdown|csv] [--config FILE] AUDITLOG...|-\n\nThe periodic report (遵守事項 第9) from audit logs (.gz too).\nExit status: 0, 64 usage, 78 configuration.",
}

// wantsHelp reports -h, -help or --help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// printUsage writes a command's usage and flags to w.
func printUsage(w io.Writer, name string, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: sendguard %s\n", commandUsage[name])
	if fs == nil {
		return
	}
	has := false
	fs.VisitAll(func(*flag.Flag) { has = true })
	if has {
		fmt.Fprintln(w, "\nflags:")
		out := fs.Output()
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(out)
	}
}

// parseFlags parses a command's flags: --help prints its usage on stdout
// (errHelp: exit 0); a bad flag prints the usage on stderr (exit 64).
func parseFlags(name string, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	if wantsHelp(args) {
		printUsage(stdout, name, fs)
		return errHelp
	}
	fs.Usage = func() { printUsage(fs.Output(), name, fs) }
	if err := fs.Parse(args); err != nil {
		return fail(exitUsage, "")
	}
	return nil
}

// interleaveFlags lets flags follow the positional arguments ("show REF
// --json"); bools names the flags that take no value.
func interleaveFlags(args []string, bools ...string) []string {
	isBool := func(a string) bool {
		name := strings.TrimLeft(a, "-")
		for _, b := range bools {
			if name == b {
				return true
			}
		}
		return false
	}
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			rest = append(rest, args[i+1:]...)
			i = len(args)
		case a == "-" || !strings.HasPrefix(a, "-"):
			rest = append(rest, a)
		case strings.Contains(a, "=") || isBool(a):
			flags = append(flags, a)
		default:
			flags = append(flags, a)
			if i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		}
	}
	return append(flags, rest...)
}
