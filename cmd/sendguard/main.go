// Command sendguard is an outbound mail gateway: the organisation's smarthost
// that refuses mail with unencrypted attachments or with the password in the
// same mail, and flags risky recipients.
//
//	sendguard serve --config FILE          run the gateway
//	sendguard check --config FILE MSG.eml  dry run: print the verdict
//	sendguard policy lint --config FILE    validate the configuration
//	sendguard send [flags]                 send a sample message
//	sendguard passwd                       make a bcrypt hash for [[server.users]]
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Exit statuses of check (architecture contract), and for usage and
// configuration errors.
const (
	exitPass     = 0
	exitFlag     = 1
	exitReject   = 2
	exitHold     = 3
	exitUsage    = 64
	exitConfig   = 78
	exitInternal = 70
)

const usage = `usage: sendguard COMMAND [flags]

commands:
  serve --config FILE                       run the gateway
  check --config FILE [--from A] [--to A]... [--json] MESSAGE.eml|-
                                            dry run: print the verdict and explanation
                                            (exit 0 pass, 1 flag, 2 reject, 3 hold or approve, 64 not a mail)
  policy lint --config FILE                 validate the configuration and policy
  send --server HOST:PORT --from A --to A [--subject S] [--body T] [--attach FILE]... [MESSAGE.eml]
                                            send a message and print the server's reply
  passwd                                    read a password on stdin, print its bcrypt hash
  replay --config FILE [--json] [--examples N] [--diff OTHER_CONFIG] MBOX|MAILDIR|DIR|MSG.eml...
                                            run the policy over an archive, send nothing, print a summary
  report --since DATE [--until DATE] [--format markdown|csv] [--config FILE] AUDITLOG...|-
                                            periodic report from audit logs (.gz too)
  hold list [--json] [--all] | show REF [--json] | release REF | cancel REF [--comment T] --config FILE
                                            the held messages in the store (while the server runs)
  store check [--json] --config FILE        verify the store's schema and contents

sendguard COMMAND --help shows a command's flags and exit statuses
(64 usage, 70 internal error, 75 try again later, 78 configuration: sysexits.h).
`

// exitError carries an exit status up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func fail(code int, format string, args ...any) error {
	return &exitError{code: code, err: fmt.Errorf(format, args...)}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "serve":
		err = serveCmd(args[1:], stdout, stderr)
	case "check":
		var code int
		code, err = checkCmd(args[1:], stdin, stdout, stderr)
		if err == nil {
			return code
		}
	case "policy":
		switch {
		case len(args) >= 2 && args[1] == "lint":
			err = lintCmd(args[2:], stdout, stderr)
		case wantsHelp(args[1:]):
			printUsage(stdout, "policy lint", nil)
			return 0
		default:
			printUsage(stderr, "policy lint", nil)
			return exitUsage
		}
	case "send":
		err = sendCmd(args[1:], stdin, stdout, stderr)
	case "passwd":
		if wantsHelp(args[1:]) {
			printUsage(stdout, "passwd", nil)
			return 0
		}
		err = passwdCmd(stdin, stdout)
	case "replay":
		err = replayCmd(args[1:], stdout, stderr)
	case "report":
		err = reportCmd(args[1:], stdin, stdout, stderr)
	case "hold", "store":
		cmd := holdCmd
		if args[0] == "store" {
			cmd = storeCmd
		}
		var code int
		code, err = cmd(args[1:], stdout, stderr)
		if err == nil {
			return code
		}
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "sendguard: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintf(stderr, "sendguard %s: %v\n", args[0], ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "sendguard %s: %v\n", args[0], err)
	return exitInternal
}
