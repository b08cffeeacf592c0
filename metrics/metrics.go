// Package metrics holds sendguard's Prometheus metrics. Every method is safe
// on a nil *Metrics, so parts built without metrics (tests, check) need no
// special case.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the set of collectors, registered in their own registry.
type Metrics struct {
	registry       *prometheus.Registry
	messages       *prometheus.CounterVec
	findings       *prometheus.CounterVec
	messageBytes   prometheus.Counter
	connections    *prometheus.CounterVec
	upstreamErrors *prometheus.CounterVec
	inspection     prometheus.Histogram
	relay          prometheus.Histogram
	reloads        *prometheus.CounterVec
	policyLoaded   prometheus.Gauge
	authFailures   *prometheus.CounterVec
	holdEvents     *prometheus.CounterVec
	notices        *prometheus.CounterVec
	pageActions    *prometheus.CounterVec
}

// New makes the collectors. active, when not nil, reports the number of
// open SMTP connections at scrape time.
func New(active func() int) *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	m.messages = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sendguard_messages_total",
		Help: "Messages handled, by verdict (pass, flag, reject, tempfail, none) and result (relayed, rejected, tempfail, upstream-failed, aborted; accepted: passed on to the MTA by the milter).",
	}, []string{"verdict", "result"})
	m.findings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sendguard_findings_total",
		Help: "Findings by rule id and the action they carried.",
	}, []string{"rule", "action"})
	m.messageBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sendguard_message_bytes_total",
		Help: "Bytes of message data received from clients.",
	})
	m.connections = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sendguard_connections_total",
		Help: "SMTP connections, by result (accepted, refused).",
	}, []string{"result"})
	m.upstreamErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sendguard_upstream_errors_total",
		Help: "Upstream failures by class (unreachable, timeout, lost, temporary, permanent, recipient).",
	}, []string{"class"})
	m.inspection = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "sendguard_inspection_seconds",
		Help:    "Time spent evaluating the policy on one message.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
	})
	m.relay = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "sendguard_relay_seconds",
		Help:    "Time from the end of DATA to the upstream's answer for relayed messages.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
	})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sendguard_policy_reloads_total",
		Help: "Configuration and policy reloads, by result (ok, error).",
	}, []string{"result"})
	m.policyLoaded = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sendguard_policy_loaded_timestamp_seconds",
		Help: "When the policy in force was loaded.",
	})
	m.authFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sendguard_auth_failures_total",
		Help: "Refused AUTH attempts, by reason (bad-credentials, locked-out, lockout-started counts lockouts begun).",
	}, []string{"reason"})
	m.holdEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sendguard_held_events_total",
		Help: "Events on held messages (held, released, cancelled, rejected, expired, relayed, deferred, failed), by the state or actor kind they came from (confirm, approval, delayed, sender, approver, cli, delay, expiry, relay).",
	}, []string{"event", "kind"})
	m.notices = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sendguard_notices_total",
		Help: "Notices from the outbox by kind (sender-confirm, approver-request, incident, ...) and result (sent, deferred, refused, missed: still unsent after its deadline).",
	}, []string{"kind", "result"})
	m.pageActions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sendguard_page_actions_total",
		Help: "Actions on the sender/approver page, by action (view, send, cancel, approve, reject, explain) and result (ok, refused, conflict, error).",
	}, []string{"action", "result"})
	m.registry.MustRegister(m.messages, m.findings, m.messageBytes, m.connections, m.upstreamErrors,
		m.inspection, m.relay, m.reloads, m.policyLoaded, m.authFailures, m.holdEvents, m.notices, m.pageActions,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if active != nil {
		m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sendguard_connections_active",
			Help: "SMTP connections open now.",
		}, func() float64 { return float64(active()) }))
	}
	m.policyLoaded.SetToCurrentTime()
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Message counts one message's outcome.
func (m *Metrics) Message(verdict, result string, size int64) {
	if m == nil {
		return
	}
	m.messages.WithLabelValues(verdict, result).Inc()
	m.messageBytes.Add(float64(size))
}

// Finding counts one finding.
func (m *Metrics) Finding(rule, action string) {
	if m == nil {
		return
	}
	m.findings.WithLabelValues(rule, action).Inc()
}

// Connection counts an accepted or refused connection.
func (m *Metrics) Connection(accepted bool) {
	if m == nil {
		return
	}
	r := "refused"
	if accepted {
		r = "accepted"
	}
	m.connections.WithLabelValues(r).Inc()
}

// UpstreamError counts an upstream failure of the given class.
func (m *Metrics) UpstreamError(class string) {
	if m == nil {
		return
	}
	m.upstreamErrors.WithLabelValues(class).Inc()
}

// Inspection records how long one evaluation took.
func (m *Metrics) Inspection(d time.Duration) {
	if m == nil {
		return
	}
	m.inspection.Observe(d.Seconds())
}

// Relay records how long the upstream took to accept one message.
func (m *Metrics) Relay(d time.Duration) {
	if m == nil {
		return
	}
	m.relay.Observe(d.Seconds())
}

// Reload counts a reload and, when it worked, marks the policy's load time.
func (m *Metrics) Reload(ok bool) {
	if m == nil {
		return
	}
	if ok {
		m.reloads.WithLabelValues("ok").Inc()
		m.policyLoaded.SetToCurrentTime()
		return
	}
	m.reloads.WithLabelValues("error").Inc()
}

// AuthFailure counts a refused AUTH attempt (or the start of a lockout).
func (m *Metrics) AuthFailure(reason string) {
	if m == nil {
		return
	}
	m.authFailures.WithLabelValues(reason).Inc()
}

// HoldEvent counts an event on a held message.
func (m *Metrics) HoldEvent(event, kind string) {
	if m == nil {
		return
	}
	m.holdEvents.WithLabelValues(event, kind).Inc()
}

// Notice counts a notice sent, deferred, refused or missed.
func (m *Metrics) Notice(kind, result string) {
	if m == nil {
		return
	}
	m.notices.WithLabelValues(kind, result).Inc()
}

// PageAction counts an action on the sender/approver page.
func (m *Metrics) PageAction(action, result string) {
	if m == nil {
		return
	}
	m.pageActions.WithLabelValues(action, result).Inc()
}
