package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/sendguard/sendguard/auditreport"
	"github.com/sendguard/sendguard/config"
)

// reportNow and reportLocation are the clock and the time zone of report
// (dates without a zone, times printed); tests set them.
var (
	reportNow      = time.Now
	reportLocation = time.Local
)

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
	cfgPath := fs.String("config", "", "sendguard's configuration: its [report] section (departments, incident_rules)")
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
	if err := parseFlags("report", fs, interleaveFlags(args, "json"), stdout); err != nil {
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
	since, err := auditreport.ParseDate(*sinceArg, reportLocation)
	if err != nil {
		return fail(exitUsage, "--since: %v", err)
	}
	until := reportNow()
	if *untilArg != "" {
		if until, err = auditreport.ParseDate(*untilArg, reportLocation); err != nil {
			return fail(exitUsage, "--until: %v", err)
		}
	}
	if !until.After(since) {
		return fail(exitUsage, "--until must be after --since")
	}
	opts := auditreport.Options{Since: since, Until: until, Location: reportLocation}
	if *cfgPath != "" {
		f, err := config.Load(*cfgPath)
		if err != nil {
			return &exitError{code: exitConfig, err: err}
		}
		for _, d := range f.Report.Departments {
			opts.Departments = append(opts.Departments, auditreport.Department{Name: d.Name, Senders: d.Senders})
		}
		opts.IncidentRules = f.Report.IncidentRules
	}

	rep := auditreport.New(opts)
	for _, name := range fs.Args() {
		if err := rep.ReadFile(name, stdin); err != nil {
			return fail(exitUsage, "%v", err)
		}
	}
	rep.Finish()
	if *format == "csv" {
		return rep.WriteCSV(stdout)
	}
	rep.WriteMarkdown(stdout)
	return nil
}
