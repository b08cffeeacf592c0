package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sendguard/sendguard/config"
	"github.com/sendguard/sendguard/dispatch"
	"github.com/sendguard/sendguard/hold"
	"github.com/sendguard/sendguard/metrics"
	"github.com/sendguard/sendguard/notify"
	"github.com/sendguard/sendguard/smtpfilter"
	"github.com/sendguard/sendguard/store"
	"github.com/sendguard/sendguard/web"
)

// holding is a running gateway's hold machinery: the store, the dispatcher
// that relays released messages and sends notices, and the page.
type holding struct {
	store     *store.Store
	rules     atomic.Pointer[hold.Rules]
	signer    web.Signer
	publicURL string
	tokenTTL  time.Duration
	notices   notify.HeldNotices
	disp      *dispatch.Dispatcher
	stopDisp  context.CancelFunc
	dispDone  chan struct{}
	page      *http.Server
	pageAddr  string
	pageDone  chan struct{}
	log       *slog.Logger
}

// openStore opens the configured store (migrations applied).
func openStore(ctx context.Context, f *config.File) (*store.Store, error) {
	st, err := store.Open(ctx, f.StoreDSN(), store.Options{})
	if err != nil {
		return nil, fmt.Errorf("store.dsn: %w", err)
	}
	return st, nil
}

// startHolding opens the store, starts the dispatcher and the page.
func startHolding(f *config.File, g *gateway, tlsCert func() *tls.Certificate) (*holding, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := openStore(ctx, f)
	if err != nil {
		return nil, err
	}
	h := &holding{store: st, log: g.log}
	rules, err := hold.Compile(f.Hold)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("hold: %w", err)
	}
	h.rules.Store(rules)
	key, err := web.LoadOrCreateKey(f.WebKeyFile())
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("web.key_file: %w", err)
	}
	h.signer = web.Signer{Key: key}
	h.publicURL = strings.TrimRight(f.Web.PublicURL, "/")
	h.tokenTTL = f.Web.TokenTTL.Duration
	if h.tokenTTL <= 0 {
		h.tokenTTL = rules.Expire()
	}
	h.notices = notify.HeldNotices{From: f.Explain.From, Hostname: f.Server.Hostname, Link: h.link}
	events := &holdEvents{audit: g.audit, metrics: g.metrics}
	h.disp = dispatch.New(dispatch.Config{
		Store: st,
		Deliver: func(ctx context.Context, from string, to []string, msg io.Reader) (dispatch.Result, error) {
			d, err := smtpfilter.Deliver(ctx, &g.upstream, from, to, msg)
			return dispatch.Result{Reply: d.Reply, Refused: d.Refused, RefusedReason: d.RefusedReason}, err
		},
		Permanent:    smtpfilter.Permanent,
		VerdictField: smtpfilter.ReleasedVerdictField,
		Notices:      h.notices,
		Events:       events,
		Log:          g.log,
		Lease:        f.Store.Lease.Duration,
		RetryBase:    rules.RetryInterval(),
		// A rejection's explanation outlives its link by a day.
		KeepRejections: h.tokenTTL + 24*time.Hour,
	})
	dctx, stop := context.WithCancel(context.Background())
	h.stopDisp, h.dispDone = stop, make(chan struct{})
	go func() { defer close(h.dispDone); h.disp.Run(dctx) }()

	if f.Web.Listen != "" {
		var tlsCfg *tls.Config
		if tlsCert != nil && tlsCert() != nil {
			tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return tlsCert(), nil }}
		}
		h.page = web.NewServer(web.Config{
			Store: st, Signer: h.signer, RetryFor: rules.RetryFor(), Log: g.log, Audit: g.audit, PublicURL: h.publicURL,
			OnDecision: func(m *store.Held, d store.Decision, who store.Actor) []store.Notice {
				kind := "approver"
				if strings.EqualFold(who.Name, m.Sender) {
					kind = "sender"
				}
				g.metrics.HoldEvent(d.String(), kind)
				h.disp.Wake()
				return h.notices.Decided(m, d, who)
			},
			Count: g.metrics.PageAction,
		}, tlsCfg)
		l, err := net.Listen("tcp", f.Web.Listen)
		if err != nil {
			h.close(context.Background())
			return nil, fmt.Errorf("web.listen: %w", err)
		}
		h.pageAddr = l.Addr().String()
		h.pageDone = make(chan struct{})
		go func() {
			defer close(h.pageDone)
			var err error
			if tlsCfg != nil {
				err = h.page.ServeTLS(l, "", "")
			} else {
				err = h.page.Serve(l)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				g.log.Error("the hold page stopped", "error", err.Error())
			}
		}()
	}
	return h, nil
}

// link is the page address for a message and role ("" without public_url).
func (h *holding) link(ref, role string, expires time.Time) string {
	if h.publicURL == "" {
		return ""
	}
	return h.signer.HeldURL(h.publicURL, ref, role, expires)
}

// rejectLink is the explanation page of a rejected message.
func (h *holding) rejectLink(ref string) string {
	if h.publicURL == "" {
		return ""
	}
	return h.signer.RejectURL(h.publicURL, ref, time.Now().Add(h.tokenTTL))
}

// reload applies a new [hold] section to the messages that arrive next.
func (h *holding) reload(f *config.File) error {
	rules, err := hold.Compile(f.Hold)
	if err != nil {
		return fmt.Errorf("hold: %w", err)
	}
	h.rules.Store(rules)
	return nil
}

// smtpHolds is what the SMTP server needs to hold messages.
func (h *holding) smtpHolds() *smtpfilter.Holds {
	return &smtpfilter.Holds{
		Store:      h.store,
		Delay:      func(sender string, external bool) time.Duration { return h.rules.Load().Delay(sender, external) },
		Approvers:  func(sender string) []string { return h.rules.Load().Approvers(sender) },
		Expire:     h.rules.Load().Expire(),
		Notices:    h.notices,
		Wake:       h.disp.Wake,
		RejectLink: h.rejectLink,
	}
}

// close stops the page and the dispatcher (relays in flight finish) and
// closes the store.
func (h *holding) close(ctx context.Context) {
	if h == nil {
		return
	}
	if h.page != nil {
		h.page.Shutdown(ctx)
		<-h.pageDone
	}
	if h.stopDisp != nil {
		h.stopDisp()
		select {
		case <-h.dispDone:
		case <-ctx.Done():
			h.log.Warn("relays of released messages still running at shutdown; their leases let another start take them over")
		}
	}
	h.store.Close()
}

// holdEvents writes the dispatcher's events as audit lines and metrics.
type holdEvents struct {
	audit   *slog.Logger
	metrics *metrics.Metrics
}

func (e *holdEvents) Held(event string, h *store.Held, detail string) {
	e.audit.Info("held", "event", event, "ref", h.Ref, "from", h.Sender, "to", h.Recipients, "state", string(h.State),
		"decided_by", h.DecidedBy, "attempts", h.Attempts, "detail", detail)
	kind := "relay"
	if event == "expired" {
		kind = "expiry"
	}
	e.metrics.HoldEvent(event, kind)
}

func (e *holdEvents) Notice(event string, n *store.Notice, detail string) {
	e.audit.Info("notice", "event", event, "kind", n.Kind, "ref", n.Ref, "to", n.Recipients, "attempts", n.Attempts, "detail", detail)
	e.metrics.Notice(n.Kind, event)
}
