package milter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"

	gomilter "github.com/d--j/go-milter"

	"github.com/sendguard/sendguard/metrics"
	"github.com/sendguard/sendguard/notify"
	"github.com/sendguard/sendguard/policy"
	"github.com/sendguard/sendguard/smtpfilter"
)

// Config is what the milter needs; cmd/sendguard builds it from the
// configuration file ([milter] and the [server] keys both listeners share).
type Config struct {
	// Hostname names sendguard in logs.
	Hostname string
	// MaxMessageBytes bounds what is spooled of one message; a larger one
	// is refused (552 5.3.4). Zero: no limit.
	MaxMessageBytes int64
	// SpoolDir and SpoolMemoryBytes: a message stays in memory up to
	// SpoolMemoryBytes, then moves to a temporary file in SpoolDir.
	SpoolDir         string
	SpoolMemoryBytes int64
	// IdleTimeout bounds the wait for the MTA's next milter command (the
	// MTA's SMTP session may be idle that long); zero: no limit.
	IdleTimeout time.Duration
	// EvalTimeout bounds one policy evaluation (default 5 minutes). While
	// it runs, the MTA is told every ProgressInterval (default 30 s) that
	// the filter is still working, so that its own timeout does not fire.
	EvalTimeout      time.Duration
	ProgressInterval time.Duration
	// Policy returns the policy for the next message (it may be reloaded).
	Policy func() *policy.Policy

	Log   *slog.Logger
	Audit *slog.Logger
	// Metrics may be nil.
	Metrics *metrics.Metrics
	// Incidents receives incident findings (遵守事項 第2); nil = none.
	Incidents *notify.Incidents
	// Notices tells the senders of flagged mail why, as the smarthost
	// does ([rules.*] flag_notice); nil = no notices.
	Notices *smtpfilter.Notifier
}

// defaultProgressInterval is how often a long evaluation tells the MTA it
// is still working (milter protocol 6 SMFIR_PROGRESS; Postfix's
// milter_content_timeout is 300 s by default).
const defaultProgressInterval = 30 * time.Second

// defaultEvalTimeout bounds an evaluation when Config.EvalTimeout is zero.
const defaultEvalTimeout = 5 * time.Minute

// wantedActions are the message changes the milter makes: add the verdict
// header, delete a forged one.
const wantedActions = gomilter.OptAddHeader | gomilter.OptChangeHeader

// wantedProtocol spares the MTA the events sendguard does not use and the
// round trips of replies it never gives before the end of the message, and
// asks for header values exactly as they were (the space after the colon
// too: the policy judges the message's bytes).
const wantedProtocol = gomilter.OptNoUnknown | gomilter.OptNoConnReply | gomilter.OptNoHeloReply |
	gomilter.OptNoMailReply | gomilter.OptNoRcptReply | gomilter.OptNoDataReply | gomilter.OptNoHeaderReply |
	gomilter.OptNoEOHReply | gomilter.OptNoBodyReply | gomilter.OptNoUnknownReply | gomilter.OptHeaderLeadingSpace

// Server is sendguard's milter server. Reload replaces its Config for the
// messages that begin afterwards.
type Server struct {
	cfg atomic.Pointer[Config]
	srv *gomilter.Server
	// inFlight counts messages between MAIL FROM and their end (or
	// abort): Shutdown waits for them, not for idle MTA connections.
	inFlight atomic.Int64
}

// New builds a milter server from cfg.
func New(cfg Config) *Server {
	s := &Server{}
	s.Reload(cfg)
	s.srv = gomilter.NewServer(
		gomilter.WithMilter(func() gomilter.Milter { return &session{srv: s} }),
		gomilter.WithActions(wantedActions),
		gomilter.WithProtocols(wantedProtocol),
		gomilter.WithNegotiationCallback(negotiate),
		gomilter.WithMacroRequest(gomilter.StageHelo, []gomilter.MacroName{gomilter.MacroTlsVersion}),
		gomilter.WithMacroRequest(gomilter.StageMail, []gomilter.MacroName{gomilter.MacroAuthAuthen}),
		gomilter.WithMacroRequest(gomilter.StageEOM, []gomilter.MacroName{gomilter.MacroQueueId}),
		gomilter.WithReadTimeout(cfg.IdleTimeout),
		// A reply of ours is at most 20 lines of 480 bytes: 64 KB packets
		// are enough, and every MTA takes them.
		gomilter.WithUsedMaxData(gomilter.DataSize64K),
	)
	return s
}

// Reload applies cfg to the messages that begin from now on; IdleTimeout
// is read once, by New.
func (s *Server) Reload(cfg Config) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Audit == nil {
		cfg.Audit = cfg.Log
	}
	if cfg.EvalTimeout <= 0 {
		cfg.EvalTimeout = defaultEvalTimeout
	}
	if cfg.ProgressInterval <= 0 {
		cfg.ProgressInterval = defaultProgressInterval
	}
	s.cfg.Store(&cfg)
}

func (s *Server) config() *Config { return s.cfg.Load() }

// Serve answers the MTA's milter connections on l until Close or Shutdown;
// it returns nil then.
func (s *Server) Serve(l net.Listener) error {
	err := s.srv.Serve(l)
	if errors.Is(err, gomilter.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections and waits until no message is in
// flight (or ctx is done), then closes every connection. Postfix keeps a
// milter connection for a whole SMTP session, so waiting for the MTA to
// close idle ones could take as long as its smtpd_timeout; a connection
// closed between messages costs nothing, and a message cut off by ctx gets
// the MTA's milter_default_action (tempfail: the client retries).
func (s *Server) Shutdown(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- s.srv.Shutdown(ctx) }() // closes the listeners
	tick := time.NewTicker(shutdownPoll)
	defer tick.Stop()
	idle := 0
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			// A message's count ends when its verdict is decided; the
			// library writes the reply just after. Two polls in a row
			// with nothing in flight leave it that time.
			if s.inFlight.Load() != 0 {
				idle = 0
				continue
			}
			if idle++; idle >= 2 {
				s.srv.Close()
				return <-done
			}
		}
	}
}

// shutdownPoll is how often Shutdown looks for the last message to end.
const shutdownPoll = 20 * time.Millisecond

// Close stops the server and closes every connection at once.
func (s *Server) Close() error {
	return s.srv.Close()
}

// Listen opens the listener for a [milter] listen value: "host:port" for
// TCP, "unix:/path" for a Unix socket: an old socket file at that path is
// replaced, and the new one is made 0660, so that the MTA can connect when
// it is in the socket's group (make the directory setgid to the MTA's group,
// e.g. postfix, so the socket gets that group).
func Listen(address string) (net.Listener, error) {
	if path, ok := strings.CutPrefix(address, "unix:"); ok {
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			os.Remove(path) // left behind by a previous run
		}
		l, err := net.Listen("unix", path)
		if err != nil {
			return nil, fmt.Errorf("milter listen on %s: %w", address, err)
		}
		if err := os.Chmod(path, socketMode); err != nil {
			l.Close()
			return nil, fmt.Errorf("milter socket %s: %w", path, err)
		}
		return l, nil
	}
	l, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("milter listen on %s: %w", address, err)
	}
	return l, nil
}

// socketMode lets the socket's owner and group (the MTA) connect, no one
// else: the milter protocol has no authentication.
const socketMode = 0o660

// negotiate agrees on the milter protocol with the MTA: the highest common
// version, the two header actions (without them the verdict header cannot be
// added: refuse the connection, and the MTA applies milter_default_action),
// and whichever of the wanted protocol options the MTA offers. An MTA that
// does not offer OptHeaderLeadingSpace still works: the session puts back the
// space it swallowed.
func negotiate(mtaVersion, milterVersion uint32, mtaActions, milterActions gomilter.OptAction,
	mtaProtocol, milterProtocol gomilter.OptProtocol, offered gomilter.DataSize,
) (uint32, gomilter.OptAction, gomilter.OptProtocol, gomilter.DataSize, error) {
	version := min(mtaVersion, milterVersion)
	if version < 2 {
		return 0, 0, 0, 0, fmt.Errorf("milter: MTA speaks protocol version %d, at least 2 is needed", mtaVersion)
	}
	if mtaActions&wantedActions != wantedActions {
		return 0, 0, 0, 0, fmt.Errorf("milter: MTA does not allow adding and changing headers (offered %v)", mtaActions)
	}
	protocol := milterProtocol & mtaProtocol
	if version < 6 {
		// The "no reply" options and the leading space are version 6;
		// with an older MTA every event is answered, as it expects.
		protocol = 0
	}
	return version, milterActions & mtaActions, protocol, offered, nil
}
