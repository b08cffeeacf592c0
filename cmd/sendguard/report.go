package main

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
	"golang.org/x/text/width"
)

// reportNow and reportLocation are the clock and the time zone of report
// (dates without a zone, times printed); tests set them.
var (
	reportNow      = time.Now
	reportLocation = time.Local
)

// defaultIncidentRules are the rules whose findings the report lists one by
// one, when the configuration does not say.
var defaultIncidentRules = []string{"password-in-body", "recipient-domain-lookalike", "recipient-domain-anonymous"}

// reportCmd reads audit logs and prints the periodic report (遵守事項 第9):
// totals per verdict, result and rule, per sender department, the incidents,
// as Markdown (with bar charts) or CSV.
//
// The CSV is one table, "section,key,count":
//
//	period,<since>/<until> (RFC 3339; until exclusive),<messages>
//	total,messages,<n>
//	verdict,<pass|flag|hold|reject|tempfail|none>,<n>   (none: not evaluated)
//	result,<relayed|rejected|tempfail|…>,<n>
//	rule,<rule id>,<messages>
//	rule:<action>,<rule id>,<messages with the rule at that action>
//	department,<name>,<messages>
//	department:<verdict>,<name>,<n>
//	department:incidents,<name>,<n>
//	incident,<time> ref=<ref> from=<sender> rule=<id> action=<a> evidence=<evidence>,1
//	notes,<malformed_lines|non_audit_lines|outside_period|duplicates>,<n>
//
// A key that a spreadsheet would take for a formula (starting with = + - @)
// is prefixed with a single quote.
func reportCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sinceArg := fs.String("since", "", "start of the period: 2026-11-01 or RFC 3339 (required)")
	untilArg := fs.String("until", "", "end of the period, exclusive (default: now)")
	format := fs.String("format", "markdown", "markdown or csv")
	cfgPath := fs.String("config", "", "TOML file with a [report] section (departments, incident_rules)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: sendguard report --since DATE [--until DATE] [--format markdown|csv] [--config FILE] AUDITLOG...

Reads audit logs (JSON lines; gzip-compressed files too; - for standard
input) and prints totals per verdict, result, rule and sender department,
and the incidents of the period [--since, --until). DATE is 2026-11-01 (local
midnight) or RFC 3339. The CSV is one table "section,key,count" with the
sections period, total, verdict, result, rule, rule:ACTION, department,
department:VERDICT, department:incidents, incident and notes.

[report] in the --config file:
  departments = [{ name = "営業部", senders = ["*@sales.example.co.jp", "tanaka@example.co.jp"] }]
  incident_rules = ["password-in-body", "recipient-domain-lookalike", "recipient-domain-anonymous"]

`)
		fs.PrintDefaults()
	}
	if err := parseFlags("report", fs, interleave(args), stdout); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fail(exitUsage, "give one or more audit logs (- for standard input)")
	}
	if *format != "markdown" && *format != "md" && *format != "csv" {
		return fail(exitUsage, "--format must be markdown or csv")
	}
	if *sinceArg == "" {
		return fail(exitUsage, "--since DATE is required")
	}
	since, err := parseReportDate(*sinceArg)
	if err != nil {
		return fail(exitUsage, "--since: %v", err)
	}
	until := reportNow()
	if *untilArg != "" {
		if until, err = parseReportDate(*untilArg); err != nil {
			return fail(exitUsage, "--until: %v", err)
		}
	}
	if !until.After(since) {
		return fail(exitUsage, "--until must be after --since")
	}
	rc, err := loadReportConfig(*cfgPath)
	if err != nil {
		return err
	}

	rep := newReport(rc, since, until)
	for _, name := range fs.Args() {
		if err := rep.readFile(name, stdin); err != nil {
			return fail(exitUsage, "%v", err)
		}
	}
	rep.finish()
	if *format == "csv" {
		return rep.writeCSV(stdout)
	}
	rep.writeMarkdown(stdout)
	return nil
}

// parseReportDate reads "2026-11-01" (midnight in the report's time zone) or
// an RFC 3339 time.
func parseReportDate(s string) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02", s, reportLocation); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2026-11-01) or an RFC 3339 time (2026-11-01T09:00:00+09:00)", s)
}

// reportConfig is the [report] section, read loosely from the --config file
// (the other sections are ignored).
type reportConfig struct {
	Departments []reportDepartment `toml:"departments"`
	// IncidentRules are the rules whose findings are listed as incidents.
	IncidentRules []string `toml:"incident_rules"`
}

type reportDepartment struct {
	Name string `toml:"name"`
	// Senders are envelope senders: "tanaka@example.co.jp",
	// "*@sales.example.co.jp", "@sales.example.co.jp" or a bare domain;
	// * and ? match as in path.Match. Case is ignored.
	Senders []string `toml:"senders"`
}

func loadReportConfig(p string) (*reportConfig, error) {
	rc := &reportConfig{}
	if p != "" {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fail(exitUsage, "%v", err)
		}
		var file struct {
			Report reportConfig `toml:"report"`
		}
		if err := toml.Unmarshal(data, &file); err != nil {
			var derr *toml.DecodeError
			if errors.As(err, &derr) {
				row, _ := derr.Position()
				return nil, fail(exitConfig, "%s:%d: %v", p, row, err)
			}
			return nil, fail(exitConfig, "%s: %v", p, err)
		}
		rc = &file.Report
		for i, d := range rc.Departments {
			if strings.TrimSpace(d.Name) == "" {
				return nil, fail(exitConfig, "%s: report.departments[%d]: name is empty", p, i)
			}
			for j, s := range d.Senders {
				if _, err := path.Match(senderPattern(s), ""); err != nil || s == "" {
					return nil, fail(exitConfig, "%s: report.departments[%d].senders[%d]: bad pattern %q", p, i, j, s)
				}
			}
		}
	}
	if rc.IncidentRules == nil {
		rc.IncidentRules = defaultIncidentRules
	}
	return rc, nil
}

// senderPattern makes a department's sender entry a path.Match pattern on
// lower-case addresses.
func senderPattern(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case strings.HasPrefix(s, "@"):
		return "*" + s
	case !strings.Contains(s, "@"):
		return "*@" + s
	}
	return s
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

// report sums audit lines of one period.
type report struct {
	cfg          *reportConfig
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

func newReport(cfg *reportConfig, since, until time.Time) *report {
	r := &report{
		cfg: cfg, since: since, until: until,
		verdicts: map[string]int{}, results: map[string]int{}, rules: map[string]*ruleCount{},
		seen: map[string]bool{},
	}
	for _, d := range cfg.Departments {
		r.depts = append(r.depts, &deptCount{name: d.Name, verdicts: map[string]int{}})
	}
	r.depts = append(r.depts, &deptCount{name: otherDepartment, verdicts: map[string]int{}})
	return r
}

// maxAuditLine bounds one line; longer ones are counted as malformed.
const maxAuditLine = 16 << 20

// readFile reads one audit log: a file ("-" for stdin), gzip-compressed or
// not (told by its first bytes, not its name).
func (r *report) readFile(name string, stdin io.Reader) error {
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

func (r *report) addLine(line []byte) {
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
		if slices.Contains(r.cfg.IncidentRules, f.Rule) {
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
	case "reject":
		return 4
	case "tempfail":
		return 5
	}
	return 0
}

func (r *report) department(sender string) *deptCount {
	s := strings.ToLower(strings.TrimSpace(sender))
	if s != "" {
		for i, d := range r.cfg.Departments {
			for _, p := range d.Senders {
				if ok, _ := path.Match(senderPattern(p), s); ok {
					return r.depts[i]
				}
			}
		}
	}
	return r.depts[len(r.depts)-1]
}

func (r *report) finish() {
	slices.SortStableFunc(r.incidents, func(a, b incident) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.order, b.order))
	})
}

// verdictKeys are the verdicts in the order printed: the four of the policy
// always, then any other seen.
func (r *report) verdictKeys() []string {
	keys := []string{"pass", "flag", "hold", "reject"}
	for _, k := range sortedKeys(r.verdicts) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// ruleIDs lists the rules by messages, then id.
func (r *report) ruleIDs() []string {
	ids := sortedKeys(r.rules)
	slices.SortStableFunc(ids, func(a, b string) int { return cmp.Compare(r.rules[b].messages, r.rules[a].messages) })
	return ids
}

// departments are the configured ones in order, then "other" when it has
// messages (or when none is configured).
func (r *report) departments() []*deptCount {
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

func (r *report) localTime(t time.Time) string {
	return t.In(reportLocation).Format("2006-01-02 15:04:05")
}

func (r *report) writeMarkdown(w io.Writer) {
	zone := r.since.In(reportLocation).Format("-07:00")
	fmt.Fprintf(w, "# 送信監査レポート / sendguard report: %s – %s\n\n",
		r.since.In(reportLocation).Format("2006-01-02 15:04"), r.until.In(reportLocation).Format("2006-01-02 15:04"))
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
		rows = append(rows, []string{k, fmt.Sprint(r.verdicts[k]), scaledBar(r.verdicts[k], maxV)})
	}
	writeMDTable(w, []string{"verdict", "messages", ""}, "lrl", rows)

	if len(r.results) > 0 {
		fmt.Fprintf(w, "\n## 処理結果別 / Totals per result\n\n")
		rows = nil
		for _, k := range sortedKeys(r.results) {
			rows = append(rows, []string{k, fmt.Sprint(r.results[k])})
		}
		writeMDTable(w, []string{"result", "messages"}, "lr", rows)
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
				fmt.Sprint(rc.actions["reject"]), fmt.Sprint(rc.actions["hold"]), fmt.Sprint(rc.actions["flag"]),
				fmt.Sprint(rc.actions["pass"]), scaledBar(rc.messages, maxR)})
		}
		writeMDTable(w, []string{"rule", "messages", "reject", "hold", "flag", "pass", ""}, "lrrrrrl", rows)
	}

	fmt.Fprintf(w, "\n## 部署別 / Per department\n\n")
	rows = nil
	maxD := 0
	for _, d := range r.departments() {
		maxD = max(maxD, d.messages)
	}
	for _, d := range r.departments() {
		rows = append(rows, []string{mdEscape(d.name), fmt.Sprint(d.messages), fmt.Sprint(d.verdicts["pass"]),
			fmt.Sprint(d.verdicts["flag"]), fmt.Sprint(d.verdicts["hold"]), fmt.Sprint(d.verdicts["reject"]), fmt.Sprint(d.incidents),
			scaledBar(d.messages, maxD)})
	}
	writeMDTable(w, []string{"department", "messages", "pass", "flag", "hold", "reject", "incidents", ""}, "lrrrrrrl", rows)

	fmt.Fprintf(w, "\n## インシデント / Incidents\n\n")
	fmt.Fprintf(w, "対象ルール / rules: %s\n\n", strings.Join(r.cfg.IncidentRules, ", "))
	if len(r.incidents) == 0 {
		fmt.Fprintf(w, "なし / none\n")
	} else {
		rows = nil
		for _, in := range r.incidents {
			rows = append(rows, []string{r.localTime(in.Time), mdEscape(in.Ref), mdEscape(in.From), mdEscape(in.Department),
				mdEscape(in.Rule), mdEscape(in.Action), mdEscape(in.Evidence)})
		}
		writeMDTable(w, []string{"time", "ref", "sender", "department", "rule", "action", "evidence"}, "lllllll", rows)
	}

	fmt.Fprintf(w, "\n## 注記 / Notes\n\n")
	fmt.Fprintf(w, "- 入力 / inputs: %s\n", mdEscape(strings.Join(r.inputs, ", ")))
	fmt.Fprintf(w, "- 読めない行（スキップ） / malformed lines skipped: %d\n", r.malformed)
	fmt.Fprintf(w, "- 監査以外の行 / non-audit lines skipped: %d\n", r.nonAudit)
	fmt.Fprintf(w, "- 期間外の監査行 / audit lines outside the period: %d\n", r.outside)
	fmt.Fprintf(w, "- 重複した監査行（同じ ref） / duplicate audit lines (same ref): %d\n", r.duplicates)
	fmt.Fprintf(w, "- 証跡は監査ログのまま（本文・パスワードは含まない） / evidence as in the audit log (no body text, no passwords)\n")
}

func (r *report) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	row := func(section, key string, n int) {
		cw.Write([]string{section, csvSafe(key), fmt.Sprint(n)})
	}
	cw.Write([]string{"section", "key", "count"})
	row("period", r.since.In(reportLocation).Format(time.RFC3339)+"/"+r.until.In(reportLocation).Format(time.RFC3339), r.messages)
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
			in.Time.In(reportLocation).Format(time.RFC3339), in.Ref, in.From, in.Rule, in.Action, oneLine(in.Evidence)), 1)
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

// writeMDTable writes a Markdown table padded to the display width of its
// columns, so it also reads in a terminal. align has one 'l' or 'r' per
// column.
func writeMDTable(w io.Writer, header []string, align string, rows [][]string) {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = max(displayWidth(h), 3)
	}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range cells {
			pad := strings.Repeat(" ", widths[i]-displayWidth(c))
			if align[i] == 'r' {
				b.WriteString(" " + pad + c + " |")
			} else {
				b.WriteString(" " + c + pad + " |")
			}
		}
		fmt.Fprintln(w, b.String())
	}
	line(header)
	sep := make([]string, len(header))
	for i := range header {
		if align[i] == 'r' {
			sep[i] = strings.Repeat("-", widths[i]-1) + ":"
		} else {
			sep[i] = strings.Repeat("-", widths[i])
		}
	}
	line(sep)
	for _, r := range rows {
		line(r)
	}
}

// barWidth is the number of cells of the longest bar.
const barWidth = 20

// scaledBar is a bar for v on a scale where max fills barWidth cells.
func scaledBar(v, maxV int) string {
	if maxV <= 0 || v <= 0 {
		return ""
	}
	return bar(float64(v) / float64(maxV) * barWidth)
}

// eighths are the partial blocks, one to seven eighths of a cell.
var eighths = []rune("▏▎▍▌▋▊▉")

// bar draws cells (fractional) of full blocks and a partial block in
// eighths; anything above zero shows at least one eighth.
func bar(cells float64) string {
	if cells <= 0 || math.IsNaN(cells) {
		return ""
	}
	n := int(math.Round(cells * 8))
	if n == 0 {
		n = 1
	}
	s := strings.Repeat("█", n/8)
	if n%8 > 0 {
		s += string(eighths[n%8-1])
	}
	return s
}

// displayWidth is how many terminal columns s takes: two for East Asian wide
// and full-width characters, none for combining marks, one otherwise.
func displayWidth(s string) int {
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch p := width.LookupRune(r); p.Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			if r >= 0x300 && r <= 0x36f || r == 0x200b || r == 0x200d || r >= 0xfe00 && r <= 0xfe0f {
				continue
			}
			n++
		}
	}
	return n
}
