package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"

	"github.com/sendguard/sendguard/mailarchive"
	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/replay"
	"github.com/sendguard/sendguard/textchart"
)

// replayCmd runs the policy over an archive (mbox, Maildir, folder of .eml)
// without sending anything and prints what it would have done: messages per
// verdict and rule, the top senders and recipient domains per rule, and
// examples. With --diff it also evaluates under a second configuration and
// lists the messages whose verdict would change. It is a report: the exit
// status is 0 whatever the verdicts.
func replayCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file (the policy to replay)")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	examples := fs.Int("examples", 3, "examples per rule")
	diff := fs.String("diff", "", "second configuration: list the messages whose verdict changes under it")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: sendguard replay --config FILE [--json] [--examples N] [--diff OTHER_CONFIG] PATH...

Runs the policy over archived mail without sending anything. A PATH is an
mbox file (starts with "From "), a Maildir (cur/ and new/), a folder of .eml
files (recursive) or one .eml file. The envelope is taken from Return-Path
and X-Envelope-To when present (sendguard's capture writes them), else from
From and To/Cc/Bcc (plus Delivered-To). Messages over max_message_bytes and
files that are not mail (a ZIP, a PDF, an empty file: judged by their bytes)
are skipped and listed. Exit status 0: this is a report, not a verdict.

`)
		fs.PrintDefaults()
	}
	if err := parseFlags("replay", fs, interleaveFlags(args, "json"), stdout); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fail(exitUsage, "give an mbox, a Maildir or a folder of .eml files")
	}
	if *examples < 0 {
		return fail(exitUsage, "--examples must not be negative")
	}
	f, pol, err := loadConfig(*path, stderr)
	if err != nil {
		return err
	}
	var other *policy.Policy
	if *diff != "" {
		if _, other, err = loadConfig(*diff, stderr); err != nil {
			return err
		}
	}
	archive, err := mailarchive.Open(fs.Args(), mailarchive.Options{
		SpoolDir:    f.Resolve(f.Server.SpoolDir),
		MemoryBytes: f.Server.SpoolMemoryBytes,
		MaxBytes:    f.Server.MaxMessageBytes,
	})
	if err != nil {
		return fail(exitUsage, "%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	prog := newProgress(stderr, archive.TotalBytes())
	sum := replay.Run(ctx, archive, replay.Options{
		Policy: pol, Other: other, Config: *path, DiffConfig: *diff, Paths: fs.Args(),
		MaxMessageBytes: f.Server.MaxMessageBytes, Examples: *examples,
		Timeout: f.Server.DataTimeout.Duration, Workers: runtime.GOMAXPROCS(0),
		Progress: prog.update,
	})
	prog.finish()

	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else {
		replay.WriteText(stdout, sum)
	}
	if sum.Interrupted {
		return &exitError{code: 130, err: errors.New("interrupted: the summary covers the messages read so far")}
	}
	return nil
}

// progress shows how far a replay is: a bar redrawn in place on a terminal,
// or a plain line every 1000 messages otherwise.
type progress struct {
	w       io.Writer
	tty     bool
	total   int64
	done    int64
	started time.Time
	drawn   time.Time
	width   int
}

// isTerminal reports whether w is a terminal (a character device that is not
// a "dumb" terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}

func newProgress(w io.Writer, total int64) *progress {
	return &progress{w: w, tty: isTerminal(w), total: total, started: time.Now()}
}

func (p *progress) update(messages int, raw int64) {
	p.done += raw
	if !p.tty {
		if messages%1000 == 0 && messages > 0 {
			fmt.Fprintf(p.w, "replay: %d messages (%s)\n", messages, percent(p.done, p.total))
		}
		return
	}
	now := time.Now()
	if now.Sub(p.drawn) < 100*time.Millisecond {
		return
	}
	p.drawn = now
	line := progressLine(messages, p.done, p.total, now.Sub(p.started))
	pad := max(p.width-textchart.DisplayWidth(line), 0)
	p.width = textchart.DisplayWidth(line)
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
}

// finish clears the bar.
func (p *progress) finish() {
	if p.tty && p.width > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
	}
}

func percent(done, total int64) string {
	if total <= 0 {
		return "-"
	}
	return fmt.Sprintf("%d%%", min(done*100/total, 100))
}

// progressLine is one state of the progress bar.
func progressLine(messages int, done, total int64, elapsed time.Duration) string {
	frac := 0.0
	if total > 0 {
		frac = min(float64(done)/float64(total), 1)
	}
	return fmt.Sprintf("replay [%s] %4s  %d messages  %s", barCells(frac, 30), percent(done, total), messages, elapsed.Round(time.Second))
}

// barCells draws frac (0..1) of width cells, padded with spaces.
func barCells(frac float64, width int) string {
	b := textchart.Bar(frac * float64(width))
	return b + strings.Repeat(" ", max(width-textchart.DisplayWidth(b), 0))
}
