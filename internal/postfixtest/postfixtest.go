// Package postfixtest runs a private, real Postfix instance for end-to-end
// tests: the organisation's MTA that uses sendguard as its relayhost.
//
// Each instance has its own config, queue and data directories under
// /var/tmp/postfixtest-XXXX (Postfix's daemons run as the postfix user and
// must be able to reach the queue directory, which rules out t.TempDir, and
// maillog_file must live under one of maillog_file_prefixes, /var by
// default), listens for SMTP on a free 127.0.0.1 port, sends every outbound
// message to Options.RelayHost and every message for Options.LocalDomain
// (the senders' own domain, so their bounces) to Options.MailboxHost.
// Logging goes to a file in the instance directory through postlogd, so no
// syslog is needed.
//
// Postfix's master must run as root. When the postfix binary is missing, or
// the test does not run as root, or the postfix user is missing, Start skips
// the test, unless SENDGUARD_REQUIRE_TOOLS=1, then it fails it; Launch (for
// non-test programs) returns an error wrapping ErrUnavailable.
package postfixtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options configure an instance.
type Options struct {
	// RelayHost is "127.0.0.1:PORT": all outbound mail goes there
	// (relayhost = [127.0.0.1]:PORT). Required.
	RelayHost string
	// LocalDomain is the organisation's own domain, e.g. "example.co.jp".
	// Mail to it (bounces to our senders) is delivered by SMTP to
	// MailboxHost instead of RelayHost. Empty: no such route.
	LocalDomain string
	// MailboxHost is "127.0.0.1:PORT" of the server acting as the senders'
	// mailbox server. Required when LocalDomain is set.
	MailboxHost string
	// MyHostname is Postfix's myhostname; default "mta.example.co.jp".
	MyHostname string
	// MainCF adds or overrides main.cf parameters (name → value), applied
	// after the defaults of this package.
	MainCF map[string]string
}

// Instance is a running Postfix.
type Instance struct {
	// SMTPAddr is 127.0.0.1:port where Postfix's smtpd listens.
	SMTPAddr string
	// Dir is the instance's top directory (removed on cleanup).
	Dir string
	// ConfigDir holds main.cf and master.cf (postfix -c ConfigDir).
	ConfigDir string
	// QueueDir is queue_directory.
	QueueDir string
	// DataDir is data_directory.
	DataDir string
	// LogFile is maillog_file.
	LogFile string
	// StartupTime is how long Start took to get the instance answering.
	StartupTime time.Duration

	postfix  string
	phases   string
	t        testing.TB
	stopOnce sync.Once
}

// RequireToolsEnv is the environment variable that turns "skip because
// postfix is unavailable" into a test failure.
const RequireToolsEnv = "SENDGUARD_REQUIRE_TOOLS"

// baseDir is where instances are created. It must be reachable by the
// postfix user and lie under maillog_file_prefixes (/var).
const baseDir = "/var/tmp"

const dirPrefix = "postfixtest-"

// Available returns the path of the postfix binary, looking in PATH and
// /usr/sbin, and false when it is missing.
func Available() (string, bool) {
	if p, err := exec.LookPath("postfix"); err == nil {
		return p, true
	}
	for _, p := range []string{"/usr/sbin/postfix", "/usr/local/sbin/postfix"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// usable explains why this machine cannot run an instance ("" when it can).
func usable() (string, string) {
	p, ok := Available()
	if !ok {
		return "", "postfix not installed: no postfix binary in PATH or /usr/sbin (apt-get install postfix)"
	}
	if os.Geteuid() != 0 {
		return p, "postfix not usable: the Postfix master must run as root"
	}
	if _, err := user.Lookup("postfix"); err != nil {
		return p, "postfix not usable: no postfix user (" + err.Error() + ")"
	}
	if _, err := user.LookupGroup("postdrop"); err != nil {
		return p, "postfix not usable: no postdrop group (" + err.Error() + ")"
	}
	return p, ""
}

// ErrUnavailable is what Launch's error wraps (errors.Is) when Postfix
// cannot run on this machine: no postfix binary, not root, or no postfix
// user or postdrop group. The error's text says which.
var ErrUnavailable = errors.New("postfix unavailable")

type unavailableError struct{ why string }

func (e *unavailableError) Error() string        { return e.why }
func (e *unavailableError) Is(target error) bool { return target == ErrUnavailable }

// Start creates and starts an instance, waits until its SMTP port answers
// 220 and stops it and removes its directory in t.Cleanup. It skips the test
// when Postfix cannot run here, unless SENDGUARD_REQUIRE_TOOLS=1.
func Start(t testing.TB, opts Options) *Instance {
	t.Helper()
	postfix, why := usable()
	if why != "" {
		if os.Getenv(RequireToolsEnv) == "1" {
			t.Fatalf("%s (%s=1)", why, RequireToolsEnv)
		}
		t.Skip(why)
	}
	inst, err := launch(postfix, opts, t)
	if err != nil {
		t.Fatalf("postfixtest: %v", err)
	}
	t.Cleanup(inst.stop)
	t.Logf("postfixtest: instance %s listening on %s (started in %v: %s)", inst.Dir, inst.SMTPAddr, inst.StartupTime.Round(time.Millisecond), inst.phases)
	return inst
}

// Launch is Start for use outside tests (the load tool in bench/): it
// creates and starts an instance and waits until its SMTP port answers 220.
// The caller must Close it, which stops Postfix and removes its directory;
// an instance left behind by a process that died is removed by the next
// Launch or Start on the machine. When Postfix cannot run here the error
// wraps ErrUnavailable.
func Launch(opts Options) (*Instance, error) {
	postfix, why := usable()
	if why != "" {
		return nil, &unavailableError{why: why}
	}
	inst, err := launch(postfix, opts, nil)
	if err != nil {
		return nil, fmt.Errorf("postfixtest: %w", err)
	}
	return inst, nil
}

// Close stops the instance and removes its directory (as Stop); calling it
// more than once is harmless.
func (i *Instance) Close() error {
	i.stop()
	return nil
}

// Phases says how long the steps of the start took.
func (i *Instance) Phases() string { return i.phases }

// launch checks opts and starts an instance; t (nil outside tests) is kept
// for the instance's own reports. On error nothing is left running.
func launch(postfix string, opts Options, t testing.TB) (*Instance, error) {
	if _, _, err := net.SplitHostPort(opts.RelayHost); err != nil {
		return nil, fmt.Errorf("RelayHost %q: %v", opts.RelayHost, err)
	}
	if opts.LocalDomain != "" {
		if _, _, err := net.SplitHostPort(opts.MailboxHost); err != nil {
			return nil, fmt.Errorf("MailboxHost %q: %v", opts.MailboxHost, err)
		}
	}
	if opts.MyHostname == "" {
		opts.MyHostname = "mta.example.co.jp"
	}
	sweepStale()

	began := time.Now()
	var lastErr error
	// The port is picked by listening on :0 and closing, so another process
	// may take it before master binds it: try again with a new port then.
	for attempt := 0; attempt < 4; attempt++ {
		inst, retry, err := start(t, postfix, opts)
		if err == nil {
			inst.StartupTime = time.Since(began)
			return inst, nil
		}
		lastErr = err
		if !retry {
			break
		}
	}
	return nil, lastErr
}

// start makes one attempt. On error the instance is stopped and removed.
func start(t testing.TB, postfix string, opts Options) (inst *Instance, retry bool, err error) {
	dir, err := os.MkdirTemp(baseDir, dirPrefix)
	if err != nil {
		return nil, false, err
	}
	i := &Instance{
		Dir:       dir,
		ConfigDir: filepath.Join(dir, "etc"),
		QueueDir:  filepath.Join(dir, "spool"),
		DataDir:   filepath.Join(dir, "data"),
		LogFile:   filepath.Join(dir, "maillog"),
		postfix:   postfix,
		t:         t,
	}
	ok := false
	defer func() {
		if !ok {
			i.stop()
		}
	}()
	port, err := pickPort()
	if err != nil {
		return nil, false, err
	}
	i.SMTPAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	t0 := time.Now()
	if err := i.layout(opts, port); err != nil {
		return nil, false, err
	}
	t1 := time.Now()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := i.command(ctx, "start")
	if err != nil {
		logs := i.Logs()
		err = fmt.Errorf("postfix -c %s start: %v\n%s\nlog:\n%s", i.ConfigDir, err, out, logs)
		if strings.Contains(logs+out, "Address already in use") {
			if t != nil {
				t.Logf("postfixtest: port %d taken, trying another: %v", port, err)
			}
			return nil, true, err
		}
		// Show what Postfix's own integrity checks say.
		check, _ := i.command(ctx, "check")
		return nil, false, fmt.Errorf("%v\npostfix check:\n%s", err, check)
	}
	t2 := time.Now()
	if err := WaitBanner(i.SMTPAddr, 30*time.Second, nil); err != nil {
		logs := i.Logs()
		if strings.Contains(logs, "Address already in use") {
			return nil, true, fmt.Errorf("smtpd could not bind %s:\n%s", i.SMTPAddr, logs)
		}
		return nil, false, fmt.Errorf("postfix at %s does not answer: %v\nlog:\n%s", i.SMTPAddr, err, logs)
	}
	i.phases = fmt.Sprintf("layout %v, postfix start %v, until 220 %v",
		t1.Sub(t0).Round(time.Millisecond), t2.Sub(t1).Round(time.Millisecond), time.Since(t2).Round(time.Millisecond))
	ok = true
	return i, false, nil
}

// layout creates the directories and writes main.cf and master.cf.
func (i *Instance) layout(opts Options, port int) error {
	pf, err := user.Lookup("postfix")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(pf.Uid)
	gid, _ := strconv.Atoi(pf.Gid)
	// MkdirTemp makes 0700: the postfix user must traverse it.
	if err := os.Chmod(i.Dir, 0o755); err != nil {
		return err
	}
	// Written under another name and renamed, so that sweepStale in a
	// parallel test never reads it half-written.
	tmp := filepath.Join(i.Dir, "owner.pid.tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(i.Dir, "owner.pid")); err != nil {
		return err
	}
	if err := os.Mkdir(i.ConfigDir, 0o755); err != nil {
		return err
	}
	// The queue and data directories as "post-install create-missing"
	// makes them from $meta_directory/postfix-files. Having them in place
	// lets "postfix start" skip its integrity checks (see quick-start
	// below), which fork some 150 processes and take 1-3 s.
	postdrop, err := user.LookupGroup("postdrop")
	if err != nil {
		return err
	}
	dropGID, _ := strconv.Atoi(postdrop.Gid)
	dirs := []struct {
		path     string
		uid, gid int
		mode     os.FileMode
	}{
		{i.QueueDir, 0, 0, 0o755},
		{i.DataDir, uid, gid, 0o700},
		{filepath.Join(i.QueueDir, "pid"), 0, 0, 0o755},
		{filepath.Join(i.QueueDir, "maildrop"), uid, dropGID, 0o730},
		{filepath.Join(i.QueueDir, "public"), uid, dropGID, 0o710},
	}
	for _, q := range []string{"active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved", "trace"} {
		dirs = append(dirs, struct {
			path     string
			uid, gid int
			mode     os.FileMode
		}{filepath.Join(i.QueueDir, q), uid, 0, 0o700})
	}
	for _, d := range dirs {
		if err := os.Mkdir(d.path, d.mode); err != nil {
			return err
		}
		// Mkdir applies the umask; set the exact mode and owner.
		if err := os.Chmod(d.path, d.mode); err != nil {
			return err
		}
		if err := os.Chown(d.path, d.uid, d.gid); err != nil {
			return err
		}
	}
	// postfix-script start skips check-fatal/check-warn (create-missing,
	// postsuper, ownership scans) once when this file exists; it removes it.
	// Should a Postfix version ignore it, the checks simply run.
	if err := os.WriteFile(filepath.Join(i.QueueDir, "quick-start"), nil, 0o644); err != nil {
		return err
	}

	relayHost, relayPort, _ := net.SplitHostPort(opts.RelayHost)
	params := map[string]string{
		"compatibility_level":          "3.6",
		"queue_directory":              i.QueueDir,
		"data_directory":               i.DataDir,
		"maillog_file":                 i.LogFile,
		"myhostname":                   opts.MyHostname,
		"myorigin":                     "$myhostname",
		"mydestination":                "",
		"relay_domains":                "",
		"inet_interfaces":              "127.0.0.1",
		"inet_protocols":               "ipv4",
		"smtp_bind_address":            "127.0.0.1",
		"mynetworks":                   "127.0.0.0/8",
		"relayhost":                    "[" + relayHost + "]:" + relayPort,
		"smtpd_relay_restrictions":     "permit_mynetworks, reject",
		"smtpd_recipient_restrictions": "",
		"smtputf8_enable":              "no",
		"smtp_tls_security_level":      "none",
		"smtpd_tls_security_level":     "none",
		"smtp_dns_support_level":       "disabled",
		"alias_maps":                   "",
		"alias_database":               "",
		"local_recipient_maps":         "",
		"local_transport":              "error:5.1.1 local delivery is disabled in postfixtest",
		"virtual_transport":            "error:5.1.1 virtual delivery is disabled in postfixtest",
		"biff":                         "no",
		"append_dot_mydomain":          "no",
		"notify_classes":               "",
		"delay_warning_time":           "0",
		// Not 1s: qmgr takes a deferred file whose mtime (now+backoff) is
		// at most now+1 at once, possibly while the delivery agent that
		// deferred it still holds its lock, and then postpones it by a
		// hard-coded 60 s ("skipped, still being delivered").
		"queue_run_delay":        "1s",
		"minimal_backoff_time":   "2s",
		"maximal_backoff_time":   "4s",
		"maximal_queue_lifetime": "10m",
		"bounce_queue_lifetime":  "10m",
		"smtp_connect_timeout":   "5s",
		"smtp_helo_timeout":      "30s",
		"smtpd_banner":           "$myhostname ESMTP Postfix (postfixtest)",
		"message_size_limit":     "52428800",
	}
	if opts.LocalDomain != "" {
		mhost, mport, _ := net.SplitHostPort(opts.MailboxHost)
		transport := filepath.Join(i.ConfigDir, "transport")
		body := fmt.Sprintf("%s smtp:[%s]:%s\n", strings.ToLower(opts.LocalDomain), mhost, mport)
		if err := os.WriteFile(transport, []byte(body), 0o644); err != nil {
			return err
		}
		params["transport_maps"] = "texthash:" + transport
	}
	for k, v := range opts.MainCF {
		params[k] = v
	}
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	var main strings.Builder
	main.WriteString("# written by postfixtest\n")
	for _, k := range names {
		fmt.Fprintf(&main, "%s = %s\n", k, params[k])
	}
	if err := os.WriteFile(filepath.Join(i.ConfigDir, "main.cf"), []byte(main.String()), 0o644); err != nil {
		return err
	}
	master := fmt.Sprintf(masterCF, port)
	if err := os.WriteFile(filepath.Join(i.ConfigDir, "master.cf"), []byte(master), 0o644); err != nil {
		return err
	}
	// Postfix rereads a configuration file that changed in the last
	// second, pausing 300 ms each time, until it has "cooled down": that
	// made every start take ~2 s. Backdate what we wrote.
	old := time.Now().Add(-time.Hour)
	files, _ := os.ReadDir(i.ConfigDir)
	for _, f := range files {
		if err := os.Chtimes(filepath.Join(i.ConfigDir, f.Name()), old, old); err != nil {
			return err
		}
	}
	return nil
}

// masterCF runs nothing chrooted (the chroot column is n: a chroot would
// need copies of system files in the queue directory), has no local,
// virtual or pipe deliveries and listens for SMTP on 127.0.0.1:%d only.
const masterCF = `# written by postfixtest
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:%d inet n     -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`

// command runs "postfix -c ConfigDir args..." and returns its output.
func (i *Instance) command(ctx context.Context, args ...string) (string, error) {
	return i.run(ctx, i.postfix, append([]string{"-c", i.ConfigDir}, args...)...)
}

func (i *Instance) run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = cleanEnv()
	cmd.Dir = i.Dir
	// Its own process group, so a ^C to the test does not reach master.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

func cleanEnv() []string {
	var env []string
	for _, e := range os.Environ() {
		// MAIL_CONFIG, MAIL_DEBUG, MAIL_LOGTAG... would redirect postfix.
		if strings.HasPrefix(e, "MAIL_") {
			continue
		}
		env = append(env, e)
	}
	return append(env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin:"+os.Getenv("PATH"))
}

// Flush asks Postfix to deliver all queued mail now, ignoring retry times
// (postfix flush, i.e. postqueue -f). It only triggers the queue manager:
// wait for the outcome. A flush that catches a message while the delivery
// agent that just deferred it still holds it makes qmgr postpone it by 60 s
// ("skipped, still being delivered" in Logs); a later Flush ignores that, so
// tests that wait for a retry should flush again while they wait.
// Outside tests (Launch) a failure is written to standard error.
func (i *Instance) Flush() {
	if i.t != nil {
		i.t.Helper()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := i.command(ctx, "flush"); err != nil {
		if i.t != nil {
			i.t.Errorf("postfixtest: postfix -c %s flush: %v\n%s", i.ConfigDir, err, out)
		} else {
			fmt.Fprintf(os.Stderr, "postfixtest: postfix -c %s flush: %v\n%s\n", i.ConfigDir, err, out)
		}
	}
}

// queueNames are the queue directories that hold messages.
var queueNames = []string{"maildrop", "incoming", "active", "deferred", "hold", "corrupt"}

// QueueIsEmpty reports whether no message is in any of the instance's
// queues (maildrop, incoming, active, deferred, hold, corrupt).
func (i *Instance) QueueIsEmpty() bool {
	return len(i.QueueFiles()) == 0
}

// QueueFiles lists the queue files present, as "queue/ID" (e.g.
// "deferred/4Xb2Lq0f9Kz1").
func (i *Instance) QueueFiles() []string {
	var files []string
	for _, q := range queueNames {
		root := filepath.Join(i.QueueDir, q)
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.Type().IsRegular() {
				files = append(files, q+"/"+d.Name())
			}
			return nil
		})
	}
	return files
}

// Logs returns the instance's log (maillog_file).
func (i *Instance) Logs() string {
	b, _ := os.ReadFile(i.LogFile)
	return string(b)
}

// WaitLog waits up to timeout for a log line containing every one of
// substrs and returns it, or "" when none appeared.
func (i *Instance) WaitLog(timeout time.Duration, substrs ...string) string {
	deadline := time.Now().Add(timeout)
	for {
		sc := bufio.NewScanner(strings.NewReader(i.Logs()))
		sc.Buffer(nil, 1<<20)
	lines:
		for sc.Scan() {
			for _, s := range substrs {
				if !strings.Contains(sc.Text(), s) {
					continue lines
				}
			}
			return sc.Text()
		}
		if time.Now().After(deadline) {
			return ""
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WaitQueueEmpty waits up to timeout for the queue to become empty.
func (i *Instance) WaitQueueEmpty(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for !i.QueueIsEmpty() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

// Stop stops the instance and removes its directory; it is also done in
// t.Cleanup (instances from Start), and calling it more than once is
// harmless.
func (i *Instance) Stop() { i.stop() }

func (i *Instance) stop() {
	i.stopOnce.Do(func() {
		if i.masterRunning() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			out, err := i.command(ctx, "stop")
			cancel()
			if err != nil && i.t != nil {
				i.t.Logf("postfixtest: postfix -c %s stop: %v\n%s", i.ConfigDir, err, out)
			}
			i.kill()
		}
		if os.Getenv("POSTFIXTEST_KEEP") == "1" {
			if i.t != nil {
				i.t.Logf("postfixtest: kept %s (POSTFIXTEST_KEEP=1)", i.Dir)
			}
			return
		}
		os.RemoveAll(i.Dir)
	})
}

// masterPID returns the pid in the instance's pid/master.pid, 0 if none.
func masterPID(queueDir string) int {
	b, err := os.ReadFile(filepath.Join(queueDir, "pid", "master.pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return 0
	}
	return pid
}

// isMaster reports whether pid is alive and is a Postfix master started
// with configDir (postfix -c exports it as MAIL_CONFIG).
func isMaster(pid int, configDir string) bool {
	if pid <= 1 {
		return false
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil || filepath.Base(exe) != "master" {
		return false
	}
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return false
	}
	return bytes.Contains(env, []byte("MAIL_CONFIG="+configDir+"\x00"))
}

func (i *Instance) masterRunning() bool {
	return isMaster(masterPID(i.QueueDir), i.ConfigDir)
}

// kill makes sure master and its children are gone: postfix stop gives
// up after 5 s, and a test must not leave daemons behind.
func (i *Instance) kill() {
	pid := masterPID(i.QueueDir)
	deadline := time.Now().Add(10 * time.Second)
	for isMaster(pid, i.ConfigDir) {
		if time.Now().After(deadline) {
			// master is its process group's leader (master -w runs setsid).
			syscall.Kill(-pid, syscall.SIGKILL)
			syscall.Kill(pid, syscall.SIGKILL)
			time.Sleep(200 * time.Millisecond)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sweepStale stops and removes instances left by test processes that died
// without running their cleanup (a test binary killed at its timeout).
func sweepStale() {
	dirs, _ := filepath.Glob(filepath.Join(baseDir, dirPrefix+"*"))
	for _, dir := range dirs {
		fi, err := os.Stat(dir)
		if err != nil || !fi.IsDir() {
			continue
		}
		// Only directories whose owning test process is known to be gone,
		// or, without a readable owner (being set up right now by a
		// parallel test, or not ours), ones a day old.
		b, err := os.ReadFile(filepath.Join(dir, "owner.pid"))
		owner, aerr := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || aerr != nil || owner <= 0 {
			if time.Since(fi.ModTime()) < 24*time.Hour {
				continue
			}
		} else if processAlive(owner) {
			continue
		}
		configDir := filepath.Join(dir, "etc")
		queueDir := filepath.Join(dir, "spool")
		if pid := masterPID(queueDir); isMaster(pid, configDir) {
			syscall.Kill(-pid, syscall.SIGKILL)
			syscall.Kill(pid, syscall.SIGKILL)
		}
		os.RemoveAll(dir)
	}
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// pickPort is FreePort; tests replace it.
var pickPort = FreePort

// FreePort picks a free loopback TCP port by listening on :0 and closing.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// WaitBanner waits until addr answers with a 220 greeting, at most timeout,
// or until exited (the server's process ended; nil: not watched) is closed.
func WaitBanner(addr string, timeout time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(timeout)
	lastErr := errors.New("no answer")
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("the process exited")
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(5 * time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			c.Write([]byte("QUIT\r\n"))
			c.Close()
			if err == nil && strings.HasPrefix(line, "220") {
				return nil
			}
			lastErr = fmt.Errorf("greeting %q, %v", strings.TrimSpace(line), err)
		} else {
			lastErr = err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return lastErr
}
