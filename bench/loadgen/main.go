// Command loadgen measures sendguard's throughput, latency and memory.
//
// It starts its own SMTP sink (bench/wire: counts, keeps nothing) on
// 127.0.0.1 and drives N client connections (bench/wire: the message is
// dot-stuffed once and written in one go), each sending one message after
// the other (MAIL, RCPT, DATA, RSET) for a bounded time, to one of:
//
//	direct     the sink itself
//	sendguard  the real sendguard binary (go build ./cmd/sendguard), run as
//	           its own process with the default rules (full inspection),
//	           relaying to the sink
//	postfix    a private plain Postfix relay (internal/postfixtest, no
//	           filter) with relayhost = the sink
//
// Throughput is counted at the sink: arrivals / (last arrival - start). The
// tool waits (bounded) for Postfix's queue to deliver what it accepted.
// Every target gets a fresh sink and a fresh process for every run.
//
// With -rss50m it instead sends one ~50 MB message (a 37 MB encrypted ZIP)
// through a fresh sendguard and reports its RSS before and at peak.
//
// Only 127.0.0.1 is used. Run from inside the sendguard module:
//
//	go run ./bench/loadgen -target direct,sendguard,postfix -msg ja5k,zip200k -conns 1,8,32 -duration 10s
//	go run ./bench/loadgen -rss50m
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sendguard/sendguard/bench/benchmsg"
	"github.com/sendguard/sendguard/bench/wire"
	"github.com/sendguard/sendguard/internal/postfixtest"
)

// Report is the whole output (-json).
type Report struct {
	Machine Machine      `json:"machine"`
	Runs    []*Result    `json:"runs,omitempty"`
	RSS     []*RSSResult `json:"rss,omitempty"`
	Failed  bool         `json:"failed"`
}

// Machine describes where the figures were taken.
type Machine struct {
	Date      string `json:"date"`
	NumCPU    int    `json:"nproc"`
	CPUModel  string `json:"cpu_model"`
	MemTotal  string `json:"mem_total"`
	GoVersion string `json:"go_version"`
	Postfix   string `json:"postfix_version"`
	Kernel    string `json:"kernel"`
	LoadStart string `json:"loadavg_start"`
	LoadEnd   string `json:"loadavg_end"`
}

func main() {
	os.Exit(run())
}

func run() int {
	targets := flag.String("target", "direct,sendguard,postfix", "comma-separated targets: direct, sendguard, postfix, milter (Postfix asking sendguard's milter)")
	msgs := flag.String("msg", "ja5k,zip200k", "comma-separated messages: ja5k (plain 5 KB Japanese), zip200k (200 KB with a ZipCrypto ZIP)")
	connList := flag.String("conns", "1,8,32", "comma-separated numbers of concurrent connections")
	duration := flag.Duration("duration", 10*time.Second, "sending phase of each run")
	maxMsgs := flag.Int64("max-msgs", 200000, "hard cap on messages sent in one run")
	drain := flag.Duration("drain", 90*time.Second, "longest wait after the sending phase for queued messages to reach the sink (postfix)")
	rss := flag.Bool("rss50m", false, "instead of the load matrix: peak RSS of sendguard relaying one ~50 MB message (each of -rss-kinds)")
	rssKinds := flag.String("rss-kinds", "zipcrypto,aes256", "ZIP encryption of the 50 MB message's 37 MB attachment: zipcrypto (zip -P), aes256 (7-Zip)")
	jsonOut := flag.Bool("json", false, "write the report as JSON to standard output instead of tables")
	jsonFile := flag.String("json-file", "", "also write the JSON report to this file")
	cpuProfile := flag.String("cpuprofile", "", "write the load tool's own CPU profile to `FILE`")
	flag.StringVar(&pprofAddr, "pprof", "", "serve sendguard's Go profiles on this address (`ADDR`/debug/pprof/), to profile it under load")
	bin := flag.String("sendguard-bin", "", "sendguard binary to run (default: go build ./cmd/sendguard into the work directory)")
	workdir := flag.String("workdir", "", "scratch directory (default: a new one under $TMPDIR, removed at the end)")
	warmup := flag.Int("warmup", 2, "messages each connection sends, and the sink receives, before the clock starts (0 = none)")
	repeat := flag.Int("repeat", 1, "run the whole matrix this many times (1 to 10)")
	dump := flag.String("dump", "", "write one copy of each message to this directory and exit")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./bench/loadgen [flags]\n\n"+
			"Load tool for sendguard: messages/s (at the sink) and latency through sendguard,\n"+
			"straight to the sink and through a plain Postfix relay; or sendguard's peak RSS\n"+
			"for one 50 MB message (-rss50m). Only 127.0.0.1 is used.\n\nflags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 || *repeat < 1 || *repeat > 10 {
		flag.Usage()
		return 2
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			return 1
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dir := *workdir
	if dir == "" {
		d, err := os.MkdirTemp("", "sendguard-loadgen-")
		if err != nil {
			return fail(err)
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}

	if *dump != "" {
		return dumpMessages(dir, *dump)
	}

	rep := &Report{Machine: machine()}
	var out io.Writer = os.Stdout
	if *jsonOut {
		out = io.Discard
	}
	printMachine(out, rep.Machine)

	needSendguard := *rss || contains(*targets, "sendguard") || contains(*targets, "milter")
	sgBin := *bin
	if needSendguard && sgBin == "" {
		fmt.Fprintln(os.Stderr, "loadgen: building sendguard")
		b, err := buildSendguard(dir)
		if err != nil {
			return fail(err)
		}
		sgBin = b
	}

	if *rss {
		fmt.Fprintln(out, "\nsendguard RSS while relaying one ~50 MB message (fresh process each)")
		printRSSHeader(out)
		for _, k := range split(*rssKinds) {
			if ctx.Err() != nil {
				break
			}
			fmt.Fprintf(os.Stderr, "loadgen: rss50m %s: making the message\n", k)
			m, err := benchmsg.Large(dir, benchmsg.Kind(k))
			if err != nil {
				return fail(err)
			}
			r, err := runRSS(ctx, sgBin, dir, m)
			if err != nil {
				return fail(fmt.Errorf("rss50m %s: %w", k, err))
			}
			if r.Error != "" {
				rep.Failed = true
			}
			rep.RSS = append(rep.RSS, r)
			printRSS(out, r)
		}
	} else {
		var messages []*benchmsg.Message
		for _, name := range split(*msgs) {
			m, err := message(name, dir)
			if err != nil {
				return fail(err)
			}
			messages = append(messages, m)
		}
		var conns []int
		for _, s := range split(*connList) {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 100 {
				return fail(fmt.Errorf("-conns: %q is not a number from 1 to 100", s))
			}
			conns = append(conns, n)
		}
		fmt.Fprintf(out, "\nload: %v sending phase per run after a warm-up of %d message(s) per connection, cap %d messages per run; msgs/s counted at the sink\n", *duration, *warmup, *maxMsgs)
		printHeader(out)
		// Targets of the same (message, connections) run back to back, so
		// that they see about the same background load.
		skip := map[string]bool{}
	runs:
		for r := 1; r <= *repeat; r++ {
			for _, m := range messages {
				for _, n := range conns {
					for _, tgt := range split(*targets) {
						if ctx.Err() != nil {
							break runs
						}
						if skip[tgt] {
							continue
						}
						fmt.Fprintf(os.Stderr, "loadgen: %s %s %d conns (repeat %d)\n", tgt, m.Name, n, r)
						res, err := runOne(ctx, tgt, sgBin, dir, m, loadParams{
							conns: n, duration: *duration, maxMsgs: *maxMsgs, drain: *drain, quiet: 15 * time.Second, warmup: *warmup,
						})
						if err != nil {
							if errors.Is(err, postfixtest.ErrUnavailable) {
								fmt.Fprintf(os.Stderr, "loadgen: postfix target skipped: %v\n", err)
								fmt.Fprintf(out, "(postfix target skipped: %v)\n", err)
								skip[tgt] = true
								continue
							}
							return fail(fmt.Errorf("%s %s %d conns: %w", tgt, m.Name, n, err))
						}
						res.Repeat = r
						if len(res.Problems) > 0 {
							rep.Failed = true
						}
						rep.Runs = append(rep.Runs, res)
						printResult(out, res)
					}
				}
			}
		}
		printRatios(out, rep.Runs)
		printProblems(out, rep.Runs)
	}
	rep.Machine.LoadEnd = loadavg()
	fmt.Fprintf(out, "\nload average at the end: %s\n", rep.Machine.LoadEnd)
	if ctx.Err() != nil {
		rep.Failed = true
		fmt.Fprintln(os.Stderr, "loadgen: interrupted")
	}

	if *jsonOut || *jsonFile != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		b = append(b, '\n')
		if *jsonOut {
			os.Stdout.Write(b)
		}
		if *jsonFile != "" {
			if err := os.WriteFile(*jsonFile, b, 0o644); err != nil {
				return fail(err)
			}
		}
	}
	if rep.Failed {
		fmt.Fprintln(os.Stderr, "loadgen: some runs had problems (see above)")
		return 1
	}
	return 0
}

func message(name, dir string) (*benchmsg.Message, error) {
	switch name {
	case "ja5k":
		return benchmsg.JA5K(), nil
	case "zip200k":
		return benchmsg.Zip200K(dir)
	}
	return nil, fmt.Errorf("unknown -msg %q (ja5k or zip200k)", name)
}

// runOne runs one (target, message, connections) with a fresh sink and a
// fresh target process.
func runOne(ctx context.Context, tgt, sgBin, dir string, m *benchmsg.Message, p loadParams) (*Result, error) {
	sink, err := wire.StartSink()
	if err != nil {
		return nil, err
	}
	defer sink.Close()
	var t target
	var sg *sendguardProc
	var pf *postfixRelay
	switch tgt {
	case "direct":
		t = direct{addr: sink.Addr}
		p.drain, p.quiet = 10*time.Second, 2*time.Second
	case "sendguard":
		if sg, err = startSendguard(sgBin, dir, sink.Addr); err != nil {
			return nil, err
		}
		t = sg
		p.drain, p.quiet = 10*time.Second, 2*time.Second
	case "postfix":
		if pf, err = startPostfix(sink.Addr); err != nil {
			return nil, err
		}
		t = pf
	case "milter":
		// Postfix relaying to the sink, asking sendguard's milter.
		port, err := postfixtest.FreePort()
		if err != nil {
			return nil, err
		}
		milterAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if sg, err = startSendguardMilter(sgBin, dir, sink.Addr, milterAddr); err != nil {
			return nil, err
		}
		defer sg.Close()
		if pf, err = startPostfixMilter(sink.Addr, milterAddr); err != nil {
			return nil, err
		}
		t = pf
	default:
		return nil, fmt.Errorf("unknown -target %q (direct, sendguard, postfix or milter)", tgt)
	}
	defer t.Close()

	var before string
	var self0, cpu0 float64
	p.onStart = func() {
		before = loadavg()
		self0 = cpuSeconds(os.Getpid())
		if sg != nil {
			cpu0 = cpuSeconds(sg.PID())
		}
		if pf != nil {
			cpu0 += pf.cpuSeconds()
		}
	}
	r, err := runLoad(ctx, t.Addr(), sink, m, p)
	if err != nil {
		return nil, err
	}
	r.Target = tgt
	r.LoadBefore, r.LoadAfter = before, loadavg()
	r.HarnessCPUSecs = cpuSeconds(os.Getpid()) - self0
	if pf != nil {
		r.TargetCPUSecs = pf.cpuSeconds() - cpu0
	}
	if r.Arrived > 0 {
		r.TargetCPUMsPerMsg = r.TargetCPUSecs * 1000 / float64(r.Arrived)
	}
	if sg != nil {
		r.TargetCPUSecs = cpuSeconds(sg.PID()) - cpu0
		if pf != nil { // milter: both processes' CPU
			r.TargetCPUSecs += pf.cpuSeconds()
		}
		if r.Arrived > 0 {
			r.TargetCPUMsPerMsg = r.TargetCPUSecs * 1000 / float64(r.Arrived)
		}
		// Every accepted message must have been relayed, none refused.
		if r.Audit, err = sg.auditCounts(); err != nil {
			r.Problems = append(r.Problems, "audit log: "+err.Error())
		}
		passed := r.Audit["relayed"]
		if tgt == "milter" { // Postfix relays what the milter accepted
			passed = r.Audit["accepted"]
		}
		if int64(passed) != r.Sent+r.WarmupMsgs || len(r.Audit) > 1 {
			r.Problems = append(r.Problems, fmt.Sprintf("sendguard audit %v, but %d accepted (and %d in the warm-up)", r.Audit, r.Sent, r.WarmupMsgs))
		}
		if r.Errors > 0 {
			r.Problems = append(r.Problems, "sendguard log: "+sg.stderrTail(600))
		}
		t.Close()
		if left := sg.spoolLeft(); len(left) > 0 {
			r.Problems = append(r.Problems, fmt.Sprintf("files left in sendguard's spool: %v", left))
		}
	}
	if pf != nil && r.Arrived < r.Sent {
		r.Problems = append(r.Problems, fmt.Sprintf("postfix still holds %d queue files", pf.queued()))
	}
	return r, nil
}

func dumpMessages(dir, to string) int {
	if err := os.MkdirAll(to, 0o755); err != nil {
		return fail(err)
	}
	for _, name := range []string{"ja5k", "zip200k"} {
		m, err := message(name, dir)
		if err != nil {
			return fail(err)
		}
		if err := os.WriteFile(filepath.Join(to, name+".eml"), m.Bytes(1), 0o644); err != nil {
			return fail(err)
		}
	}
	for _, k := range []benchmsg.Kind{benchmsg.ZipCrypto, benchmsg.AES256} {
		m, err := benchmsg.Large(dir, k)
		if err != nil {
			return fail(err)
		}
		if err := os.WriteFile(filepath.Join(to, m.Name+".eml"), m.Bytes(1), 0o644); err != nil {
			return fail(err)
		}
	}
	fmt.Println("wrote", to)
	return 0
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	return 1
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func contains(list, item string) bool {
	for _, f := range split(list) {
		if f == item {
			return true
		}
	}
	return false
}

// loadavg is the first three fields of /proc/loadavg.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func machine() Machine {
	m := Machine{
		Date:      time.Now().Format(time.RFC3339),
		NumCPU:    runtime.NumCPU(),
		GoVersion: runtime.Version(),
		LoadStart: loadavg(),
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				m.MemTotal = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.Postfix = "not installed"
	if p, ok := postfixtest.Available(); ok {
		postconf := filepath.Join(filepath.Dir(p), "postconf")
		if b, err := exec.Command(postconf, "-d", "-h", "mail_version").Output(); err == nil {
			m.Postfix = strings.TrimSpace(string(b))
		}
	}
	return m
}
