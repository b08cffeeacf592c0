package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sendguard/sendguard/bench/benchmsg"
	"github.com/sendguard/sendguard/bench/wire"
)

// loadParams bound one run.
type loadParams struct {
	conns    int
	duration time.Duration // sending phase
	maxMsgs  int64         // hard cap on transactions started in the run
	drain    time.Duration // longest wait for arrivals after the sending phase
	quiet    time.Duration // arrivals stopped growing this long: give up waiting
	warmup   int           // messages per connection sent before the measurement
	// onStart is called when the clock starts (after the warm-up).
	onStart func()
}

// Result is one (target, message, connections) run.
type Result struct {
	Target   string `json:"target"`
	Msg      string `json:"msg"`
	MsgBytes int    `json:"msg_bytes"`
	Conns    int    `json:"conns"`
	Repeat   int    `json:"repeat"` // which pass over the matrix (-repeat)
	// WarmupMsgs were sent (and arrived) before the clock started; they
	// are not counted anywhere else.
	WarmupMsgs int64   `json:"warmup_msgs"`
	SendSecs   float64 `json:"send_seconds"` // length of the sending phase
	// Sent is the number of transactions the target answered 250 to.
	Sent int64 `json:"sent"`
	// Arrived is the number of messages that reached the sink in this run.
	Arrived int64 `json:"arrived"`
	// ArrivalSecs is the time from the start of sending to the last
	// arrival at the sink.
	ArrivalSecs float64 `json:"arrival_seconds"`
	// MsgsPerSec is Arrived / ArrivalSecs.
	MsgsPerSec float64 `json:"msgs_per_sec"`
	// MBPerSec is the arrived volume (message bytes as sent) per second.
	MBPerSec float64 `json:"mb_per_sec"`
	// Latency of each successful client transaction, MAIL to the 250 after
	// DATA, in milliseconds.
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
	// Errors is every failed transaction or connection; Rejected the 5xx
	// answers among them, TempFailed the 4xx.
	Errors       int64          `json:"errors"`
	Rejected     int64          `json:"rejected"`
	TempFailed   int64          `json:"tempfailed"`
	ErrorSamples []string       `json:"error_samples,omitempty"`
	Audit        map[string]int `json:"sendguard_audit,omitempty"` // sendguard: audit lines by result
	// TargetCPUSecs is the target's CPU time (user+system) from the start
	// of the clock to the last arrival: sendguard's process, or Postfix's
	// master and all its daemons. TargetCPUMsPerMsg is that per arrived
	// message, in milliseconds.
	TargetCPUSecs     float64 `json:"target_cpu_seconds,omitempty"`
	TargetCPUMsPerMsg float64 `json:"target_cpu_ms_per_msg,omitempty"`
	// HarnessCPUSecs is the load tool's own CPU time (clients and sink)
	// during the run: it shares the machine with the target.
	HarnessCPUSecs float64 `json:"harness_cpu_seconds"`
	LoadBefore     string  `json:"loadavg_before"`
	LoadAfter      string  `json:"loadavg_after"`
	// Problems are reasons the run is not valid (rejections, missing
	// arrivals, files left in the spool...).
	Problems []string `json:"problems,omitempty"`
}

// worker's tally.
type tally struct {
	lat                         []time.Duration
	sent, errs, rejected, tempf int64
	samples                     []string
}

func (t *tally) fail(err error) {
	t.errs++
	var re *wire.ReplyError
	if errors.As(err, &re) {
		if re.Code >= 500 {
			t.rejected++
		} else {
			t.tempf++
		}
	}
	if len(t.samples) < 3 {
		t.samples = append(t.samples, err.Error())
	}
}

var seqCounter atomic.Int64

// runLoad drives p.conns connections at addr for p.duration, then waits for
// the arrivals at sink. Each connection sends one message after the other
// (RSET between) until the sending phase ends or the run's cap is reached.
func runLoad(ctx context.Context, addr string, sink *wire.Sink, msg *benchmsg.Message, p loadParams) (*Result, error) {
	res := &Result{Msg: msg.Name, MsgBytes: msg.Size(), Conns: p.conns}
	send := newSender(msg)
	clients := make([]*wire.Client, p.conns)
	for i := range clients {
		c, err := dial(addr)
		if err != nil {
			for _, c := range clients[:i] {
				c.Close()
			}
			return nil, fmt.Errorf("connection %d to %s: %w", i+1, addr, err)
		}
		clients[i] = c
	}

	if err := warmUp(ctx, clients, sink, send, p); err != nil {
		for _, c := range clients {
			c.Close()
		}
		return nil, err
	}

	res.WarmupMsgs = int64(p.warmup * p.conns)
	if p.onStart != nil {
		p.onStart()
	}
	base := sink.Count()
	// The arrival watcher: the sink only counts, so poll its counter and
	// note when it last grew.
	var lastArrival atomic.Int64 // unix nanoseconds
	stopWatch := make(chan struct{})
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		seen := base
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopWatch:
				return
			case <-tick.C:
			}
			if n := sink.Count(); n != seen {
				seen = n
				lastArrival.Store(time.Now().UnixNano())
			}
		}
	}()

	var budget atomic.Int64
	budget.Store(p.maxMsgs)
	tallies := make([]tally, p.conns)
	start := time.Now()
	deadline := start.Add(p.duration)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			t := &tallies[i]
			c := clients[i]
			defer func() {
				if c != nil {
					c.Quit()
					c.Close()
				}
			}()
			for time.Now().Before(deadline) && ctx.Err() == nil && budget.Add(-1) >= 0 {
				if c == nil {
					var err error
					if c, err = dial(addr); err != nil {
						t.fail(fmt.Errorf("reconnect: %w", err))
						time.Sleep(50 * time.Millisecond)
						continue
					}
				}
				t0 := time.Now()
				err := send(c)
				d := time.Since(t0)
				if err == nil {
					t.sent++
					t.lat = append(t.lat, d)
				} else {
					t.fail(err)
				}
				if err != nil && !wire.IsReply(err) {
					// Not an SMTP answer: the connection is in an
					// unknown state.
					c.Close()
					c = nil
					continue
				}
				if err := c.Reset(); err != nil {
					t.fail(fmt.Errorf("RSET: %w", err))
					c.Close()
					c = nil
				}
			}
		}(i)
	}
	wg.Wait()
	sendEnd := time.Now()
	res.SendSecs = sendEnd.Sub(start).Seconds()

	var lat []time.Duration
	for i := range tallies {
		t := &tallies[i]
		res.Sent += t.sent
		res.Errors += t.errs
		res.Rejected += t.rejected
		res.TempFailed += t.tempf
		lat = append(lat, t.lat...)
		for _, s := range t.samples {
			if len(res.ErrorSamples) < 5 {
				res.ErrorSamples = append(res.ErrorSamples, s)
			}
		}
	}

	// Wait until every accepted message arrived, or the arrivals stop
	// growing for p.quiet, or p.drain passed (Postfix queues).
	drainEnd := sendEnd.Add(p.drain)
	lastN, lastGrowth := sink.Count()-base, time.Now()
	for sink.Count()-base < res.Sent && time.Now().Before(drainEnd) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
		if n := sink.Count() - base; n != lastN {
			lastN, lastGrowth = n, time.Now()
		} else if time.Since(lastGrowth) > p.quiet {
			break
		}
	}
	time.Sleep(5 * time.Millisecond)
	close(stopWatch)
	<-watchDone
	res.Arrived = sink.Count() - base
	if la := lastArrival.Load(); la > 0 && res.Arrived > 0 {
		res.ArrivalSecs = time.Unix(0, la).Sub(start).Seconds()
		res.MsgsPerSec = float64(res.Arrived) / res.ArrivalSecs
		res.MBPerSec = res.MsgsPerSec * float64(msg.Size()) / 1e6
	}
	if res.Arrived < res.Sent {
		res.Problems = append(res.Problems, fmt.Sprintf("only %d of %d accepted messages arrived at the sink", res.Arrived, res.Sent))
	}
	if res.Arrived > res.Sent {
		res.Problems = append(res.Problems, fmt.Sprintf("%d messages arrived but %d were accepted", res.Arrived, res.Sent))
	}
	if res.Errors > 0 {
		res.Problems = append(res.Problems, fmt.Sprintf("%d errors (%d rejected, %d tempfailed)", res.Errors, res.Rejected, res.TempFailed))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res.P50, res.P90, res.P99 = pct(lat, 0.50), pct(lat, 0.90), pct(lat, 0.99)
	if len(lat) > 0 {
		res.Max = ms(lat[len(lat)-1])
	}
	return res, nil
}

// warmUp sends p.warmup messages on every connection at once and waits
// (at most p.drain) until they all reached the sink: the target's processes,
// its upstream connections and Postfix's queue manager are running before
// the clock starts. (A fresh Postfix holds its first message for about 1 s:
// in_flow_delay, before qmgr has handed out its first tokens.)
func warmUp(ctx context.Context, clients []*wire.Client, sink *wire.Sink, send func(*wire.Client) error, p loadParams) error {
	if p.warmup <= 0 {
		return nil
	}
	base := sink.Count()
	errs := make(chan error, len(clients))
	for _, c := range clients {
		go func(c *wire.Client) {
			for i := 0; i < p.warmup; i++ {
				if err := send(c); err != nil {
					errs <- err
					return
				}
				if err := c.Reset(); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}(c)
	}
	for range clients {
		if err := <-errs; err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	want := int64(p.warmup * len(clients))
	deadline := time.Now().Add(p.drain)
	for sink.Count()-base < want {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("warm-up: %d of %d messages arrived within %v", sink.Count()-base, want, p.drain)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// dial opens a client connection and says EHLO.
func dial(addr string) (*wire.Client, error) {
	return wire.Dial(addr, 60*time.Second)
}

// newSender returns the client transaction for msg, each call with the
// next copy.
func newSender(msg *benchmsg.Message) func(*wire.Client) error {
	send := benchmsg.NewSender(msg)
	return func(c *wire.Client) error { return send(c, seqCounter.Add(1)) }
}

// pct is the q-quantile (nearest rank) of sorted d, in milliseconds.
func pct(d []time.Duration, q float64) float64 {
	if len(d) == 0 {
		return 0
	}
	i := int(q*float64(len(d))+0.999999) - 1
	i = max(0, min(i, len(d)-1))
	return ms(d[i])
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
