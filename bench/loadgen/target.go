package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sendguard/sendguard/internal/postfixtest"
)

// target is what the load is sent to: its SMTP address, and how to stop it.
type target interface {
	Addr() string
	Close() error
}

// direct is the sink itself.
type direct struct{ addr string }

func (d direct) Addr() string { return d.addr }
func (d direct) Close() error { return nil }

// sendguardProc is the real sendguard binary running as its own process.
type sendguardProc struct {
	addr   string
	cmd    *exec.Cmd
	dir    string
	audit  string
	stderr string
	exited chan struct{} // closed when the process ended
	err    error         // its exit status, once exited
}

// pprofAddr, when set (-pprof), is where sendguard's admin listener serves
// its profiles.
var pprofAddr string

// sendguardConfig is the configuration the tool generates: the shipped
// defaults (every rule of this version at its default action, so full
// inspection for a mail to an external domain), the sink as upstream and
// room for the 50 MB message.
const sendguardConfig = `# written by bench/loadgen
[server]
listen = %q
hostname = "sendguard.bench.example.co.jp"
allowed_networks = ["127.0.0.0/8"]
max_message_bytes = 67108864
max_connections = 200
max_connections_per_ip = 100
spool_dir = %q

[upstream]
address = %q
starttls = "off"

[log]
level = "warn"
format = "json"
audit = %q

[domains]
internal = ["example.co.jp"]
verified = ["partner.example.com"]
`

// startSendguard runs "BIN serve --config DIR/config.toml" listening on a
// free loopback port with the sink as upstream, and waits for its 220.
func startSendguard(bin, workdir, sinkAddr string) (*sendguardProc, error) {
	return startSendguardMilter(bin, workdir, sinkAddr, "")
}

// startSendguardMilter is startSendguard with [milter] listen = milterAddr
// when it is not "" (waiting for the milter to listen too).
func startSendguardMilter(bin, workdir, sinkAddr, milterAddr string) (*sendguardProc, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		p, err := startSendguardOnce(bin, workdir, sinkAddr, milterAddr)
		if err == nil {
			return p, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func startSendguardOnce(bin, workdir, sinkAddr, milterAddr string) (*sendguardProc, error) {
	dir, err := os.MkdirTemp(workdir, "sendguard-")
	if err != nil {
		return nil, err
	}
	spool := filepath.Join(dir, "spool")
	if err := os.Mkdir(spool, 0o700); err != nil {
		return nil, err
	}
	port, err := postfixtest.FreePort()
	if err != nil {
		return nil, err
	}
	p := &sendguardProc{
		addr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		dir:    dir,
		audit:  filepath.Join(dir, "audit.log"),
		stderr: filepath.Join(dir, "stderr.log"),
		exited: make(chan struct{}),
	}
	conf := filepath.Join(dir, "config.toml")
	text := fmt.Appendf(nil, sendguardConfig, p.addr, spool, sinkAddr, p.audit)
	if pprofAddr != "" {
		text = fmt.Appendf(text, "\n[admin]\nlisten = %q\npprof = true\n", pprofAddr)
	}
	if milterAddr != "" {
		text = fmt.Appendf(text, "\n[milter]\nlisten = %q\n", milterAddr)
	}
	if err := os.WriteFile(conf, text, 0o600); err != nil {
		return nil, err
	}
	errf, err := os.Create(p.stderr)
	if err != nil {
		return nil, err
	}
	defer errf.Close()
	p.cmd = exec.Command(bin, "serve", "--config", conf)
	p.cmd.Stdout = errf
	p.cmd.Stderr = errf
	p.cmd.Dir = dir
	// Its own process group: a ^C to the tool reaches the tool only, which
	// then stops sendguard itself.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	if err := postfixtest.WaitBanner(p.addr, 20*time.Second, p.exited); err != nil {
		p.Close()
		b, _ := os.ReadFile(p.stderr)
		return nil, fmt.Errorf("sendguard at %s: %v\n%s", p.addr, err, b)
	}
	if milterAddr != "" {
		if err := waitListen(milterAddr, 10*time.Second); err != nil {
			p.Close()
			return nil, fmt.Errorf("sendguard milter: %w", err)
		}
	}
	return p, nil
}

// waitListen waits until something accepts connections on addr.
func waitListen(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *sendguardProc) Addr() string { return p.addr }
func (p *sendguardProc) PID() int     { return p.cmd.Process.Pid }

// Close stops sendguard (SIGTERM, then SIGKILL after 10 s); calling it
// again is harmless.
func (p *sendguardProc) Close() error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
	return nil
}

// auditCounts counts the audit lines by their "result" field (relayed,
// rejected, tempfail, ...).
func (p *sendguardProc) auditCounts() (map[string]int, error) {
	f, err := os.Open(p.audit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	counts := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, `"result":"`)
		if i < 0 {
			counts["(no result)"]++
			continue
		}
		rest := line[i+len(`"result":"`):]
		if j := strings.IndexByte(rest, '"'); j >= 0 {
			counts[rest[:j]]++
		}
	}
	return counts, sc.Err()
}

// stderrTail is the end of sendguard's log (warnings and errors only).
func (p *sendguardProc) stderrTail(n int) string {
	b, _ := os.ReadFile(p.stderr)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// spoolLeft lists files left in sendguard's spool directory.
func (p *sendguardProc) spoolLeft() []string {
	var left []string
	filepath.WalkDir(filepath.Join(p.dir, "spool"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, path)
		}
		return nil
	})
	return left
}

// cpuSeconds is the process's user+system CPU time so far (/proc/PID/stat).
func cpuSeconds(pid int) float64 { return procCPU(pid, false) }

// statFields are the fields of /proc/PID/stat after the command name: the
// first is field 3 (state) of the whole line.
func statFields(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

// procCPU is utime+stime (fields 14, 15) of pid, plus cutime+cstime (16,
// 17: its reaped children) when withChildren, in seconds.
func procCPU(pid int, withChildren bool) float64 {
	f := statFields(pid)
	if len(f) < 15 {
		return 0
	}
	n := 2
	if withChildren {
		n = 4
	}
	var ticks float64
	for _, v := range f[11 : 11+n] {
		t, _ := strconv.ParseFloat(v, 64)
		ticks += t
	}
	return ticks / clockTicks
}

// parentPID is field 4 of /proc/PID/stat (0 when unknown).
func parentPID(pid int) int {
	f := statFields(pid)
	if len(f) < 2 {
		return 0
	}
	pp, _ := strconv.Atoi(f[1])
	return pp
}

// clockTicks is USER_HZ, 100 on Linux.
const clockTicks = 100

// postfixRelay is a private Postfix (internal/postfixtest) relaying all mail
// to the sink, without any filter.
type postfixRelay struct{ inst *postfixtest.Instance }

func startPostfix(sinkAddr string) (*postfixRelay, error) {
	return startPostfixMilter(sinkAddr, "")
}

// startPostfixMilter is startPostfix calling the milter at milterAddr
// (smtpd_milters) when it is not "".
func startPostfixMilter(sinkAddr, milterAddr string) (*postfixRelay, error) {
	mainCF := map[string]string{
		// Room for the 200 KB mail many times over; Postfix's
		// default is 10 MB.
		"message_size_limit": "67108864",
	}
	if milterAddr != "" {
		mainCF["smtpd_milters"] = "inet:" + milterAddr
		mainCF["milter_default_action"] = "tempfail"
	}
	inst, err := postfixtest.Launch(postfixtest.Options{
		RelayHost: sinkAddr,
		MainCF:    mainCF,
	})
	if err != nil {
		return nil, err
	}
	return &postfixRelay{inst: inst}, nil
}

func (p *postfixRelay) Addr() string { return p.inst.SMTPAddr }
func (p *postfixRelay) Close() error { return p.inst.Close() }

// cpuSeconds is the CPU time of the instance's master and all its
// daemons, live or ended (ended children are in master's cutime/cstime once
// reaped, so the sum only grows).
func (p *postfixRelay) cpuSeconds() float64 {
	b, err := os.ReadFile(filepath.Join(p.inst.QueueDir, "pid", "master.pid"))
	if err != nil {
		return 0
	}
	master, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || master <= 1 {
		return 0
	}
	total := procCPU(master, true)
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range procs {
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
		if pid != master && parentPID(pid) == master {
			total += procCPU(pid, true)
		}
	}
	return total
}

// queued is the number of messages still in Postfix's queues.
func (p *postfixRelay) queued() int { return len(p.inst.QueueFiles()) }

// moduleRoot finds the directory of sendguard's go.mod from the working
// directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/sendguard/sendguard\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the sendguard module (no go.mod for github.com/sendguard/sendguard above the working directory)")
		}
		dir = parent
	}
}

// buildSendguard runs "go build -o DIR/sendguard ./cmd/sendguard".
func buildSendguard(workdir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(workdir, "sendguard")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/sendguard")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/sendguard: %v\n%s", err, b)
	}
	return out, nil
}
