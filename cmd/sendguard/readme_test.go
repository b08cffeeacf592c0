package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's sample sessions are indented blocks of shell lines starting
// with "$ " and the output that follows. TestReadmeSamples runs them through
// run() and compares, so that what the README shows is what the commands
// print. Understood lines:
//
//	$ cat FILE                      the lines that follow are FILE's content:
//	                                the test writes them (its fixtures)
//	$ sendguard ARGS                run(ARGS); stdout then stderr, as a
//	                                terminal shows them
//	$ echo 'TEXT' | sendguard ARGS  the same with TEXT and a newline on stdin
//	… ; echo "exit $?"              and a last line "exit N" with the status
//
// The reference of a verdict (random per run) and a bcrypt hash (salted)
// are compared as placeholders.
type readmeStep struct {
	line    int
	command string
	want    []string
}

// readmeSteps reads the sample sessions out of the README text.
func readmeSteps(t *testing.T, text string) []readmeStep {
	t.Helper()
	var steps []readmeStep
	var cur *readmeStep
	sc := bufio.NewScanner(strings.NewReader(text))
	n := 0
	for sc.Scan() {
		n++
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "    $ "):
			steps = append(steps, readmeStep{line: n, command: strings.TrimPrefix(l, "    $ ")})
			cur = &steps[len(steps)-1]
		case cur != nil && (strings.HasPrefix(l, "    ") || strings.TrimSpace(l) == ""):
			cur.want = append(cur.want, strings.TrimPrefix(l, "    "))
		default:
			cur = nil
		}
	}
	for i := range steps {
		w := steps[i].want
		for len(w) > 0 && strings.TrimSpace(w[len(w)-1]) == "" {
			w = w[:len(w)-1]
		}
		steps[i].want = w
	}
	return steps
}

var (
	readmeRef    = regexp.MustCompile(`\(ref [a-z2-7]{12}\)`)
	readmeBcrypt = regexp.MustCompile(`\$2a\$10\$[./A-Za-z0-9]{53}`)
)

func readmeNormalize(s string) string {
	s = readmeRef.ReplaceAllString(s, "(ref REF)")
	return readmeBcrypt.ReplaceAllString(s, "BCRYPT-HASH")
}

// shellWords splits a sample command line: words separated by spaces,
// 'single' or "double" quoted words taken as they are.
func shellWords(s string) []string {
	var words []string
	var b strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			b.WriteByte(c)
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ':
			if in {
				words = append(words, b.String())
				b.Reset()
				in = false
			}
		default:
			b.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, b.String())
	}
	return words
}

func TestReadmeSamples(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	steps := readmeSteps(t, string(readme))
	ran := map[string]bool{}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.example.toml"), example, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, st := range steps {
		cmd := st.command
		if name, ok := strings.CutPrefix(cmd, "cat "); ok {
			content := strings.Join(st.want, "\n") + "\n"
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			continue
		}
		showExit := false
		if c, ok := strings.CutSuffix(cmd, `; echo "exit $?"`); ok {
			cmd, showExit = c, true
		}
		stdin := ""
		if c, ok := strings.CutPrefix(cmd, "echo "); ok {
			text, rest, found := strings.Cut(c, " | ")
			if !found {
				t.Errorf("README.md:%d: echo without a pipe: %q", st.line, st.command)
				continue
			}
			w := shellWords(text)
			stdin, cmd = strings.Join(w, " ")+"\n", rest
		}
		args := shellWords(cmd)
		if len(args) == 0 || args[0] != "sendguard" {
			t.Errorf("README.md:%d: a sample must run sendguard (or cat a file): %q", st.line, st.command)
			continue
		}
		code, out, errs := runCmd(t, stdin, args[1:]...)
		got := out + errs
		if showExit {
			got += fmt.Sprintf("exit %d\n", code)
		}
		want := strings.Join(st.want, "\n") + "\n"
		if readmeNormalize(got) != readmeNormalize(want) {
			t.Errorf("README.md:%d: $ %s\n--- the command prints\n%s--- the README shows\n%s", st.line, st.command, got, want)
		}
		ran[strings.Join(args[1:min(len(args), 3)], " ")] = true
	}
	// The samples the README must keep.
	for _, c := range []string{"check --config", "policy lint", "passwd"} {
		if !ran[c] {
			t.Errorf("README.md has no sample of sendguard %s (ran: %v)", c, ran)
		}
	}
}

// TestReadmeExitStatuses: the README's table of exit statuses says, for
// every command, what its --help says.
func TestReadmeExitStatuses(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, l := range strings.Split(string(readme), "\n") {
		if cells := strings.Split(l, "|"); len(cells) == 4 && strings.HasPrefix(strings.TrimSpace(cells[1]), "`sendguard ") {
			name := strings.Trim(strings.TrimSpace(cells[1]), "`")
			rows[strings.TrimPrefix(name, "sendguard ")] = strings.TrimSpace(cells[2])
		}
	}
	for name, u := range commandUsage {
		_, status, ok := strings.Cut(u, "Exit status: ")
		if !ok {
			t.Errorf("%s --help names no exit status", name)
			continue
		}
		status = strings.TrimSuffix(strings.TrimSpace(status), ".")
		if rows[name] != status {
			t.Errorf("README exit status of sendguard %s: %q; --help says %q", name, rows[name], status)
		}
	}
}
