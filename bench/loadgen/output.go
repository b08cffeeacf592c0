package main

import (
	"fmt"
	"io"
	"sort"
)

func printMachine(w io.Writer, m Machine) {
	fmt.Fprintf(w, "machine: %d CPUs (%s), %s RAM, kernel %s, %s, Postfix %s\n",
		m.NumCPU, m.CPUModel, m.MemTotal, m.Kernel, m.GoVersion, m.Postfix)
	fmt.Fprintf(w, "date: %s; load average at the start: %s\n", m.Date, m.LoadStart)
}

func printHeader(w io.Writer) {
	fmt.Fprintf(w, "%3s %-9s %-8s %5s %7s %7s %9s %7s %8s %8s %8s %8s %6s %7s %9s %6s  %s\n",
		"rep", "target", "msg", "conns", "sent", "arrived", "msgs/s", "MB/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "tgt cpu", "cpu ms/msg", "lg cpu", "loadavg before → after")
}

func printResult(w io.Writer, r *Result) {
	cpu, per := "-", "-"
	if r.TargetCPUSecs > 0 {
		cpu = fmt.Sprintf("%.1f", r.TargetCPUSecs)
		per = fmt.Sprintf("%.2f", r.TargetCPUMsPerMsg)
	}
	fmt.Fprintf(w, "%3d %-9s %-8s %5d %7d %7d %9.1f %7.2f %8.2f %8.2f %8.2f %8.1f %6d %7s %9s %6.1f  %s → %s\n",
		r.Repeat, r.Target, r.Msg, r.Conns, r.Sent, r.Arrived, r.MsgsPerSec, r.MBPerSec,
		r.P50, r.P90, r.P99, r.Max, r.Errors, cpu, per, r.HarnessCPUSecs, r.LoadBefore, r.LoadAfter)
}

// printRatios compares sendguard with the plain Postfix relay run next to
// it (same pass, message and connections), and gives the median ratio of
// each (message, connections) over the passes.
func printRatios(w io.Writer, runs []*Result) {
	type key struct {
		rep   int
		msg   string
		conns int
	}
	pf := map[key]*Result{}
	for _, r := range runs {
		if r.Target == "postfix" {
			pf[key{r.Repeat, r.Msg, r.Conns}] = r
		}
	}
	type mc struct {
		msg   string
		conns int
	}
	var order []mc
	ratios := map[mc][]float64{}
	for _, r := range runs {
		p := pf[key{r.Repeat, r.Msg, r.Conns}]
		if r.Target != "sendguard" || p == nil || p.MsgsPerSec == 0 {
			continue
		}
		if len(order) == 0 {
			fmt.Fprintln(w, "\nsendguard (full inspection) / plain Postfix relay, msgs/s at the sink:")
		}
		k := mc{r.Msg, r.Conns}
		if _, ok := ratios[k]; !ok {
			order = append(order, k)
		}
		ratio := r.MsgsPerSec / p.MsgsPerSec
		ratios[k] = append(ratios[k], ratio)
		fmt.Fprintf(w, "  pass %d  %-8s %2d conns: %8.1f / %8.1f = %5.2f×\n", r.Repeat, r.Msg, r.Conns, r.MsgsPerSec, p.MsgsPerSec, ratio)
	}
	if len(order) == 0 {
		return
	}
	fmt.Fprintln(w, "median over the passes:")
	for _, k := range order {
		rs := append([]float64(nil), ratios[k]...)
		sort.Float64s(rs)
		med := rs[len(rs)/2]
		if len(rs)%2 == 0 {
			med = (rs[len(rs)/2-1] + rs[len(rs)/2]) / 2
		}
		verdict := ""
		if target, ok := ratioTargets[k.msg]; ok && k.conns == 8 {
			verdict = fmt.Sprintf("  target ≥ %g× at 8 connections: ", target)
			if med >= target {
				verdict += "met"
			} else {
				verdict += "MISSED"
			}
		}
		fmt.Fprintf(w, "  %-8s %2d conns: %5.2f× (%d passes, range %.2f–%.2f)%s\n", k.msg, k.conns, med, len(rs), rs[0], rs[len(rs)-1], verdict)
	}
}

// ratioTargets are the project's throughput targets against a plain
// Postfix relay (DEVELOPERS.md): at least 5× on the 5 KB mail and 4× on the
// 200 KB mail with a ZIP.
var ratioTargets = map[string]float64{"ja5k": 5, "zip200k": 4}

func printProblems(w io.Writer, runs []*Result) {
	for _, r := range runs {
		for _, p := range r.Problems {
			fmt.Fprintf(w, "PROBLEM %s %s %d conns: %s\n", r.Target, r.Msg, r.Conns, p)
		}
		for _, s := range r.ErrorSamples {
			fmt.Fprintf(w, "  error sample: %s\n", s)
		}
	}
}

func printRSSHeader(w io.Writer) {
	fmt.Fprintf(w, "%-16s %9s %12s %12s %12s %12s %10s %8s %7s  %s\n",
		"msg", "MB", "baseline MiB", "peak10ms MiB", "VmHWM MiB", "growth MiB", "after MiB", "secs", "passed", "attachment")
}

func printRSS(w io.Writer, r *RSSResult) {
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	verdict := "met"
	if r.Growth >= 32<<20 {
		verdict = "MISSED"
	}
	fmt.Fprintf(w, "%-16s %9.1f %12.1f %12.1f %12.1f %12.1f %10.1f %8.2f %7v  %s\n",
		r.Msg, float64(r.MsgBytes)/1e6, mib(r.BaselineRSS), mib(r.PeakSampledRSS), mib(r.HWM), mib(r.Growth), mib(r.AfterRSS), r.Seconds, r.Passed, r.Attachment)
	fmt.Fprintf(w, "  %d samples; sink got %d message(s), %d bytes; audit %s; growth target < 32 MiB: %s\n",
		r.Samples, r.Arrived, r.SinkBytes, r.Audit, verdict)
	if r.Error != "" {
		fmt.Fprintf(w, "  PROBLEM: %s\n", r.Error)
	}
}
