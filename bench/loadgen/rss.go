package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sendguard/sendguard/bench/benchmsg"
	"github.com/sendguard/sendguard/internal/smtpsink"
)

// RSSResult is sendguard's memory while relaying one large message.
type RSSResult struct {
	Msg        string `json:"msg"`
	Attachment string `json:"attachment"`
	MsgBytes   int    `json:"msg_bytes"`
	// BaselineRSS is VmRSS of the fresh process before the message,
	// BaselineHWM its VmHWM.
	BaselineRSS int64 `json:"baseline_rss_bytes"`
	BaselineHWM int64 `json:"baseline_hwm_bytes"`
	// PeakSampledRSS is the largest VmRSS seen while sampling every 10 ms
	// during the transaction; HWM is VmHWM after it (the kernel's peak).
	PeakSampledRSS int64 `json:"peak_sampled_rss_bytes"`
	HWM            int64 `json:"hwm_bytes"`
	// Growth is max(HWM, PeakSampledRSS) - BaselineRSS.
	Growth     int64   `json:"growth_bytes"`
	AfterRSS   int64   `json:"after_rss_bytes"` // VmRSS 1 s after the 250
	Samples    int     `json:"samples"`
	Seconds    float64 `json:"seconds"` // MAIL to 250 after DATA
	Passed     bool    `json:"passed"`
	Arrived    int64   `json:"arrived"`
	SinkBytes  int64   `json:"sink_bytes"`
	Audit      string  `json:"sendguard_audit,omitempty"`
	Error      string  `json:"error,omitempty"`
	LoadBefore string  `json:"loadavg_before"`
}

// procStatus reads VmRSS and VmHWM (bytes) from /proc/PID/status.
func procStatus(pid int) (rss, hwm int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/%d/status %s: %q", pid, k, v)
		}
		if k == "VmRSS" {
			rss = n << 10
		} else {
			hwm = n << 10
		}
	}
	return rss, hwm, sc.Err()
}

// runRSS starts a fresh sink and sendguard, and sends msg once while
// sampling sendguard's RSS every 10 ms.
func runRSS(ctx context.Context, bin, workdir string, msg *benchmsg.Message) (*RSSResult, error) {
	res := &RSSResult{Msg: msg.Name, Attachment: msg.Attachment, MsgBytes: msg.Size(), LoadBefore: loadavg()}
	sink, err := smtpsink.Start(smtpsink.Options{CountOnly: true})
	if err != nil {
		return nil, err
	}
	defer sink.Close()
	sg, err := startSendguard(bin, workdir, sink.Addr)
	if err != nil {
		return nil, err
	}
	defer sg.Close()
	pid := sg.PID()
	c, err := benchmsg.Dial(sg.Addr())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	// Let the process settle after the banner checks and our EHLO.
	time.Sleep(300 * time.Millisecond)
	if res.BaselineRSS, res.BaselineHWM, err = procStatus(pid); err != nil {
		return nil, err
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if rss, _, err := procStatus(pid); err == nil {
				res.Samples++
				res.PeakSampledRSS = max(res.PeakSampledRSS, rss)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	t0 := time.Now()
	sendErr := make(chan error, 1)
	go func() { sendErr <- benchmsg.Send(c, msg, seqCounter.Add(1)) }()
	select {
	case err = <-sendErr:
	case <-ctx.Done():
		c.Close()
		err = <-sendErr
	case <-time.After(5 * time.Minute):
		c.Close()
		err = fmt.Errorf("timed out after 5 minutes: %v", <-sendErr)
	}
	res.Seconds = time.Since(t0).Seconds()
	close(stop)
	wg.Wait()
	_, res.HWM, _ = procStatus(pid)
	res.Growth = max(res.HWM, res.PeakSampledRSS) - res.BaselineRSS
	if err != nil {
		res.Error = err.Error()
	} else {
		res.Passed = true
		c.Quit()
	}
	time.Sleep(time.Second)
	res.AfterRSS, _, _ = procStatus(pid)
	res.Arrived, res.SinkBytes = sink.Count(), sink.Bytes()
	if counts, err := sg.auditCounts(); err == nil {
		res.Audit = fmt.Sprint(counts)
	}
	if left := sg.spoolLeft(); len(left) > 0 {
		res.Error += fmt.Sprintf(" spool files left: %v", left)
	}
	if res.Passed && res.Arrived != 1 {
		res.Error += fmt.Sprintf(" accepted but %d messages at the sink", res.Arrived)
	}
	return res, nil
}
