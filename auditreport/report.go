// Package auditreport reads sendguard's audit logs (JSON lines, gzip too)
// and writes the periodic report of 遵守事項 第9: totals per verdict,
// result and rule, per sender department, and the incidents of a period,
// as Markdown with bar charts or as CSV.
package auditreport

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sendguard/sendguard/senders"
	"github.com/sendguard/sendguard/textchart"
)

// DefaultIncidentRules are the rules whose findings the report lists one
// by one, when the configuration does not say.
var DefaultIncidentRules = []string{"password-in-body", "recipient-domain-lookalike", "recipient-domain-anonymous"}

// Department groups senders: "tanaka@example.co.jp", "*@sales.example.co.jp",
// "@sales.example.co.jp" or a bare domain; * and ? match as in path.Match.
// Case is ignored.
type Department struct {
	Name    string
	Senders []string
}

// Options are what a report counts and how it shows times.
type Options struct {
	Since, Until  time.Time // the period [Since, Until)
	Location      *time.Location
	Departments   []Department
	IncidentRules []string // nil: DefaultIncidentRules
}

// ParseDate reads "2026-11-01" (midnight in loc) or an RFC 3339 time.
func ParseDate(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2026-11-01) or an RFC 3339 time (2026-11-01T09:00:00+09:00)", s)
}

// auditEntry is the part of an audit line the report uses.
type auditEntry struct {
	Time     time.Time `json:"time"`
	Msg      string    `json:"msg"`
	Log      string    `json:"log"`
	Ref      string    `json:"ref"`
	From     string    `json:"from"`
	Result   string    `json:"result"`
	Verdict  string    `json:"verdict"`
	Rules    []string  `json:"rules"`
	Findings []struct {
		Rule     string `json:"rule"`
		Action   string `json:"action"`
		Evidence string `json:"evidence"`
	} `json:"findings"`
}

type incident struct {
	Time                    time.Time
	Ref, From, Rule, Action string
	Evidence, Department    string
	order                   int
}

type ruleCount struct {
	messages int
	actions  map[string]int
}

type deptCount struct {
	name      string
	messages  int
	verdicts  map[string]int
	incidents int
}

// Report sums the audit lines of one period.
type Report struct {
	opts         Options
	since, until time.Time
	inputs       []string

	messages  int
	verdicts  map[string]int
	results   map[string]int
	rules     map[string]*ruleCount
	depts     []*deptCount // configured order, then "other"
	incidents []incident
	seen      map[string]bool

	malformed, nonAudit, outside, duplicates int
}

// otherDepartment collects the senders no department names.
const otherDepartment = "(その他 / other)"

func New(o Options) *Report {
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.IncidentRules == nil {
		o.IncidentRules = DefaultIncidentRules
	}
	r := &Report{
		opts: o, since: o.Since, until: o.Until,
		verdicts: map[string]int{}, results: map[string]int{}, rules: map[string]*ruleCount{},
		seen: map[string]bool{},
	}
	for _, d := range o.Departments {
		r.depts = append(r.depts, &deptCount{name: d.Name, verdicts: map[string]int{}})
	}
	r.depts = append(r.depts, &deptCount{name: otherDepartment, verdicts: map[string]int{}})
	return r
}

// maxAuditLine bounds one line; longer ones are counted as malformed.
const maxAuditLine = 16 << 20

// ReadFile reads one audit log: a file ("-" for stdin), gzip-compressed or
// not (told by its first bytes, not its name).
func (r *Report) ReadFile(name string, stdin io.Reader) error {
	var in io.Reader
	if name == "-" {
		in = stdin
		r.inputs = append(r.inputs, "(stdin)")
	} else {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
		r.inputs = append(r.inputs, name)
	}
	br := bufio.NewReaderSize(in, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	var line []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > maxAuditLine {
			tooLong = true
		} else {
			line = append(line, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if len(line) > 0 || tooLong {
			if tooLong {
				r.malformed++
			} else {
				r.addLine(line)
			}
		}
		line, tooLong = line[:0], false
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
}

func (r *Report) addLine(line []byte) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return
	}
	var e auditEntry
	if err := json.Unmarshal(line, &e); err != nil {
		r.malformed++
		return
	}
	if e.Log != "audit" || e.Msg != "message" {
		r.nonAudit++
		return
	}
	if e.Time.IsZero() {
		r.malformed++
		return
	}
	if e.Time.Before(r.since) || !e.Time.Before(r.until) {
		r.outside++
		return
	}
	if e.Ref != "" {
		if r.seen[e.Ref] {
			r.duplicates++
			return
		}
		r.seen[e.Ref] = true
	}
	r.messages++
	verdict := e.Verdict
	if verdict == "" {
		verdict = "none"
	}
	r.verdicts[verdict]++
	if e.Result != "" {
		r.results[e.Result]++
	}

	dept := r.department(e.From)
	dept.messages++
	dept.verdicts[verdict]++

	// Each rule once per message, at its most severe action; rules named
	// only in "rules" (no findings) count too.
	actions := map[string]string{}
	var order []string
	for _, f := range e.Findings {
		if _, ok := actions[f.Rule]; !ok {
			order = append(order, f.Rule)
		}
		if severity(f.Action) >= severity(actions[f.Rule]) {
			actions[f.Rule] = f.Action
		}
		if slices.Contains(r.opts.IncidentRules, f.Rule) {
			r.incidents = append(r.incidents, incident{
				Time: e.Time, Ref: e.Ref, From: e.From, Rule: f.Rule, Action: f.Action,
				Evidence: f.Evidence, Department: dept.name, order: len(r.incidents),
			})
			dept.incidents++
		}
	}
	for _, id := range e.Rules {
		if _, ok := actions[id]; !ok {
			actions[id] = verdict
			order = append(order, id)
		}
	}
	for _, id := range order {
		rc := r.rules[id]
		if rc == nil {
			rc = &ruleCount{actions: map[string]int{}}
			r.rules[id] = rc
		}
		rc.messages++
		rc.actions[actions[id]]++
	}
}

func severity(action string) int {
	switch action {
	case "pass":
		return 1
	case "flag":
		return 2
	case "hold":
		return 3
	case "approve":
		return 4
	case "reject":
		return 5
	case "tempfail":
		return 6
	}
	return 0
}

func (r *Report) department(sender string) *deptCount {
	s := strings.ToLower(strings.TrimSpace(sender))
	if s != "" {
		for i, d := range r.opts.Departments {
			for _, p := range d.Senders {
				if senders.Match(p, s) {
					return r.depts[i]
				}
			}
		}
	}
	return r.depts[len(r.depts)-1]
}

func (r *Report) Finish() {
	slices.SortStableFunc(r.incidents, func(a, b incident) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.order, b.order))
	})
}

// verdictKeys are the verdicts in the order printed: the four of the policy
// always, then any other seen.
func (r *Report) verdictKeys() []string {
	keys := []string{"pass", "flag", "hold", "approve", "reject"}
	for _, k := range sortedKeys(r.verdicts) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// ruleIDs lists the rules by messages, then id.
func (r *Report) ruleIDs() []string {
	ids := sortedKeys(r.rules)
	slices.SortStableFunc(ids, func(a, b string) int { return cmp.Compare(r.rules[b].messages, r.rules[a].messages) })
	return ids
}

// departments are the configured ones in order, then "other" when it has
// messages (or when none is configured).
func (r *Report) departments() []*deptCount {
	out := r.depts[:len(r.depts)-1]
	if other := r.depts[len(r.depts)-1]; other.messages > 0 || len(out) == 0 {
		out = append(out[:len(out):len(out)], other)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (r *Report) localTime(t time.Time) string {
	return t.In(r.opts.Location).Format("2006-01-02 15:04:05")
}

func (r *Report) WriteMarkdown(w io.Writer) {
	zone := r.since.In(r.opts.Location).Format("-07:00")
	fmt.Fprintf(w, "# 送信監査レポート / sendguard report: %s – %s\n\n",
		r.since.In(r.opts.Location).Format("2006-01-02 15:04"), r.until.In(r.opts.Location).Format("2006-01-02 15:04"))
	fmt.Fprintf(w, "- 期間 / period: %s 〜 %s (UTC%s; 終了時刻を含まない / until exclusive)\n",
		r.localTime(r.since), r.localTime(r.until), zone)
	fmt.Fprintf(w, "- 対象メール / messages: %d\n", r.messages)
	fmt.Fprintf(w, "- インシデント / incidents: %d\n", len(r.incidents))

	fmt.Fprintf(w, "\n## 判定別 / Totals per verdict\n\n")
	maxV := 0
	for _, v := range r.verdicts {
		maxV = max(maxV, v)
	}
	var rows [][]string
	for _, k := range r.verdictKeys() {
		rows = append(rows, []string{k, fmt.Sprint(r.verdicts[k]), textchart.ScaledBar(r.verdicts[k], maxV)})
	}
	textchart.MarkdownTable(w, []string{"verdict", "messages", ""}, "lrl", rows)

	if len(r.results) > 0 {
		fmt.Fprintf(w, "\n## 処理結果別 / Totals per result\n\n")
		rows = nil
		for _, k := range sortedKeys(r.results) {
			rows = append(rows, []string{k, fmt.Sprint(r.results[k])})
		}
		textchart.MarkdownTable(w, []string{"result", "messages"}, "lr", rows)
	}

	fmt.Fprintf(w, "\n## ルール別 / Per rule\n\n")
	if len(r.rules) == 0 {
		fmt.Fprintf(w, "なし / none\n")
	} else {
		maxR := 0
		for _, rc := range r.rules {
			maxR = max(maxR, rc.messages)
		}
		rows = nil
		for _, id := range r.ruleIDs() {
			rc := r.rules[id]
			rows = append(rows, []string{mdEscape(id), fmt.Sprint(rc.messages),
				fmt.Sprint(rc.actions["reject"]), fmt.Sprint(rc.actions["approve"]), fmt.Sprint(rc.actions["hold"]), fmt.Sprint(rc.actions["flag"]),
				fmt.Sprint(rc.actions["pass"]), textchart.ScaledBar(rc.messages, maxR)})
		}
		textchart.MarkdownTable(w, []string{"rule", "messages", "reject", "approve", "hold", "flag", "pass", ""}, "lrrrrrrl", rows)
	}

	fmt.Fprintf(w, "\n## 部署別 / Per department\n\n")
	rows = nil
	maxD := 0
	for _, d := range r.departments() {
		maxD = max(maxD, d.messages)
	}
	for _, d := range r.departments() {
		rows = append(rows, []string{mdEscape(d.name), fmt.Sprint(d.messages), fmt.Sprint(d.verdicts["pass"]),
			fmt.Sprint(d.verdicts["flag"]), fmt.Sprint(d.verdicts["hold"]), fmt.Sprint(d.verdicts["approve"]), fmt.Sprint(d.verdicts["reject"]), fmt.Sprint(d.incidents),
			textchart.ScaledBar(d.messages, maxD)})
	}
	textchart.MarkdownTable(w, []string{"department", "messages", "pass", "flag", "hold", "approve", "reject", "incidents", ""}, "lrrrrrrrl", rows)

	fmt.Fprintf(w, "\n## インシデント / Incidents\n\n")
	fmt.Fprintf(w, "対象ルール / rules: %s\n\n", strings.Join(r.opts.IncidentRules, ", "))
	if len(r.incidents) == 0 {
		fmt.Fprintf(w, "なし / none\n")
	} else {
		rows = nil
		for _, in := range r.incidents {
			rows = append(rows, []string{r.localTime(in.Time), mdEscape(in.Ref), mdEscape(in.From), mdEscape(in.Department),
				mdEscape(in.Rule), mdEscape(in.Action), mdEscape(in.Evidence)})
		}
		textchart.MarkdownTable(w, []string{"time", "ref", "sender", "department", "rule", "action", "evidence"}, "lllllll", rows)
	}

	fmt.Fprintf(w, "\n## 注記 / Notes\n\n")
	fmt.Fprintf(w, "- 入力 / inputs: %s\n", mdEscape(strings.Join(r.inputs, ", ")))
	fmt.Fprintf(w, "- 読めない行（スキップ） / malformed lines skipped: %d\n", r.malformed)
	fmt.Fprintf(w, "- 監査以外の行 / non-audit lines skipped: %d\n", r.nonAudit)
	fmt.Fprintf(w, "- 期間外の監査行 / audit lines outside the period: %d\n", r.outside)
	fmt.Fprintf(w, "- 重複した監査行（同じ ref） / duplicate audit lines (same ref): %d\n", r.duplicates)
	fmt.Fprintf(w, "- 証跡は監査ログのまま（本文・パスワードは含まない） / evidence as in the audit log (no body text, no passwords)\n")
}

func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	row := func(section, key string, n int) {
		cw.Write([]string{section, csvSafe(key), fmt.Sprint(n)})
	}
	cw.Write([]string{"section", "key", "count"})
	row("period", r.since.In(r.opts.Location).Format(time.RFC3339)+"/"+r.until.In(r.opts.Location).Format(time.RFC3339), r.messages)
	row("total", "messages", r.messages)
	for _, k := range r.verdictKeys() {
		row("verdict", k, r.verdicts[k])
	}
	for _, k := range sortedKeys(r.results) {
		row("result", k, r.results[k])
	}
	for _, id := range r.ruleIDs() {
		row("rule", id, r.rules[id].messages)
	}
	for _, id := range r.ruleIDs() {
		for _, a := range sortedKeys(r.rules[id].actions) {
			row("rule:"+a, id, r.rules[id].actions[a])
		}
	}
	for _, d := range r.departments() {
		row("department", d.name, d.messages)
	}
	for _, d := range r.departments() {
		for _, v := range r.verdictKeys() {
			if d.verdicts[v] > 0 {
				row("department:"+v, d.name, d.verdicts[v])
			}
		}
		row("department:incidents", d.name, d.incidents)
	}
	for _, in := range r.incidents {
		row("incident", fmt.Sprintf("%s ref=%s from=%s rule=%s action=%s evidence=%s",
			in.Time.In(r.opts.Location).Format(time.RFC3339), in.Ref, in.From, in.Rule, in.Action, oneLine(in.Evidence)), 1)
	}
	row("notes", "malformed_lines", r.malformed)
	row("notes", "non_audit_lines", r.nonAudit)
	row("notes", "outside_period", r.outside)
	row("notes", "duplicates", r.duplicates)
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from taking a cell for a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// mdEscape makes text safe in a Markdown table cell: one line, no column
// breaks, no markup or HTML.
func mdEscape(s string) string {
	s = oneLine(s)
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune("\\`*[]<>|", c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
