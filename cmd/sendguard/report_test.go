package main

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/report")

const (
	auditFixture  = "testdata/report/audit.log"
	reportFixture = "testdata/report/report.toml"
)

// inJST runs the report in Japan's time zone at a fixed "now" (tests of
// report do not run in parallel: they set these package variables).
func inJST(t *testing.T) {
	t.Helper()
	loc, now := reportLocation, reportNow
	reportLocation = time.FixedZone("JST", 9*3600)
	reportNow = func() time.Time { return time.Date(2026, 11, 20, 12, 0, 0, 0, reportLocation) }
	t.Cleanup(func() { reportLocation, reportNow = loc, now })
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", "report", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -run TestReportGolden -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output (go test -run TestReportGolden -update rewrites it):\n%s", p, got)
	}
}

func TestReportGolden(t *testing.T) {
	inJST(t)
	args := []string{"report", "--since", "2026-11-01", "--until", "2026-12-01", "--config", reportFixture, auditFixture}
	code, md, errs := runCmd(t, "", args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden(t, "report.md", md)
	code, out, errs := runCmd(t, "", append(args[:1:1], append([]string{"--format", "csv"}, args[1:]...)...)...)
	if code != 0 {
		t.Fatalf("csv: exit %d: %s", code, errs)
	}
	golden(t, "report.csv", out)

	// What the fixture holds, independent of the golden files.
	counts := csvCounts(t, out)
	for key, want := range map[string]int{
		"total/messages":                     11,
		"verdict/pass":                       4,
		"verdict/flag":                       2,
		"verdict/reject":                     4,
		"verdict/none":                       1,
		"rule/attachment-unencrypted":        2,
		"rule:reject/attachment-unencrypted": 2,
		"rule/link-file-sharing":             1,
		"rule:pass/link-file-sharing":        1,
		"department/営業部":                     6,
		"department:reject/営業部":              2,
		"department/経理部":                     2,
		"department/総務部":                     1,
		"department/(その他 / other)":           2,
		"department:incidents/総務部":           1,
		"notes/malformed_lines":              4,
		"notes/non_audit_lines":              2,
		"notes/outside_period":               3,
		"notes/duplicates":                   1,
	} {
		if counts[key] != want {
			t.Errorf("%s = %d, want %d", key, counts[key], want)
		}
	}
	if n := strings.Count(out, "\nincident,"); n != 4 {
		t.Errorf("%d incidents in the CSV, want 4", n)
	}
	for _, want := range []string{
		`(?m)^\| 2026-11-06 09:30:00 \| inperiod0005 \| suzuki@sales\.example\.co\.jp +\| 営業部 +\| password-in-body +\| reject +\| パスワード: (\\\*){8} +\|$`,
		`(?m)^\| 営業部 +\| +6 \| +2 \| +1 \| +0 \| +0 \| +2 \| +1 \| █{20} \|$`,
		`(?m)^\| 経理部 +\| +2 \| .* \| ██████▋ +\|$`,
		`mail\\\|inator\\<b\\>\.example`,
	} {
		if !regexp.MustCompile(want).MatchString(md) {
			t.Errorf("markdown lacks %s", want)
		}
	}
}

// csvCounts maps "section/key" to count.
func csvCounts(t *testing.T, out string) map[string]int {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, out)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != "section,key,count" {
		t.Fatalf("csv header: %v", recs)
	}
	m := map[string]int{}
	for _, r := range recs[1:] {
		var n int
		for _, c := range r[2] {
			n = n*10 + int(c-'0')
		}
		m[r[0]+"/"+r[1]] += n
	}
	return m
}

func reportCSV(t *testing.T, stdin string, args ...string) map[string]int {
	t.Helper()
	code, out, errs := runCmd(t, stdin, append([]string{"report", "--format", "csv"}, args...)...)
	if code != 0 {
		t.Fatalf("%q: exit %d: %s", args, code, errs)
	}
	return csvCounts(t, out)
}

func TestReportDateFilter(t *testing.T) {
	inJST(t)
	for _, tc := range []struct {
		since, until string
		messages     int
	}{
		// A date is midnight in the report's zone; until is exclusive.
		{"2026-11-01", "2026-12-01", 11},
		{"2026-11-04", "2026-11-06", 2},
		{"2026-11-01", "2026-11-01T00:00:01+09:00", 1},
		// 2026-10-31T15:00Z and 15:30Z are 2026-11-01 00:00 and 00:30 in Japan.
		{"2026-10-31T15:00:00Z", "2026-10-31T16:00:00Z", 2},
		{"2026-10-31T23:59:59+09:00", "2026-11-01", 1},
		// Until now (2026-11-20 12:00 JST) by default.
		{"2026-11-16", "", 1},
		{"2026-11-17", "", 0},
	} {
		args := []string{"--since", tc.since}
		if tc.until != "" {
			args = append(args, "--until", tc.until)
		}
		c := reportCSV(t, "", append(args, auditFixture)...)
		if c["total/messages"] != tc.messages {
			t.Errorf("%s – %s: %d messages, want %d", tc.since, tc.until, c["total/messages"], tc.messages)
		}
	}
}

func TestReportGzipStdinAndMalformed(t *testing.T) {
	inJST(t)
	plain, err := os.ReadFile(auditFixture)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(plain)
	zw.Close()
	gz := filepath.Join(dir, "audit.log.1.gz")
	os.WriteFile(gz, zb.Bytes(), 0o600)
	// Compression is told by the content, not the name.
	noExt := filepath.Join(dir, "audit.log.1")
	os.WriteFile(noExt, zb.Bytes(), 0o600)

	period := []string{"--since", "2026-11-01", "--until", "2026-12-01"}
	want := reportCSV(t, "", append(period, auditFixture)...)
	for name, c := range map[string]map[string]int{
		"gz":       reportCSV(t, "", append(period, gz)...),
		"no .gz":   reportCSV(t, "", append(period, noExt)...),
		"stdin":    reportCSV(t, string(plain), append(period, "-")...),
		"stdin gz": reportCSV(t, zb.String(), append(period, "-")...),
	} {
		if len(c) != len(want) {
			t.Errorf("%s: %d rows, want %d", name, len(c), len(want))
		}
		for k, v := range want {
			if c[k] != v {
				t.Errorf("%s: %s = %d, want %d", name, k, c[k], v)
			}
		}
	}

	// The same log twice (rotated and compressed copy): counted once.
	c := reportCSV(t, "", append(period, auditFixture, gz)...)
	if c["total/messages"] != 11 || c["notes/duplicates"] != 13 || c["notes/malformed_lines"] != 8 {
		t.Errorf("same log twice: messages %d, duplicates %d, malformed %d", c["total/messages"], c["notes/duplicates"], c["notes/malformed_lines"])
	}

	// Malformed lines, a huge line and a truncated gzip stream.
	junk := "not json\n{\"msg\":\"message\",\"log\":\"audit\",\"time\":\"2026-11-02T00:00:00Z\"\n[1,2]\n" +
		`{"time":"2026-11-02T00:00:00Z","msg":"message","log":"audit","ref":"ok1","from":"a@example.co.jp","verdict":"pass","result":"relayed"}` + "\n" +
		strings.Repeat("x", 70000) + "\n" +
		`{"time":"2026-11-02T00:00:01Z","msg":"message","log":"audit","ref":"ok2","verdict":"pass"}`
	c = reportCSV(t, junk, append(period, "-")...)
	if c["total/messages"] != 2 || c["notes/malformed_lines"] != 4 || c["department/(その他 / other)"] != 2 {
		t.Errorf("junk: %v", c)
	}
	code, _, errs := runCmd(t, "", append([]string{"report"}, append(period, filepath.Join(dir, "missing.log"))...)...)
	if code < 64 {
		t.Errorf("missing file: exit %d %s", code, errs)
	}
	truncated := filepath.Join(dir, "cut.gz")
	os.WriteFile(truncated, zb.Bytes()[:zb.Len()/2], 0o600)
	if code, _, _ := runCmd(t, "", append([]string{"report"}, append(period, truncated)...)...); code < 64 {
		t.Errorf("truncated gzip: exit %d", code)
	}
}

func TestReportUsageErrors(t *testing.T) {
	inJST(t)
	badCfg := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(badCfg, []byte("[report]\ndepartments = [{name = \"\", senders = [\"*@x\"]}]\n"), 0o600)
	badTOML := filepath.Join(t.TempDir(), "bad2.toml")
	os.WriteFile(badTOML, []byte("[report\n"), 0o600)
	for _, args := range [][]string{
		{"report", auditFixture},
		{"report", "--since", "2026-11-01"},
		{"report", "--since", "November", auditFixture},
		{"report", "--since", "2026-11-01", "--until", "2026-10-01", auditFixture},
		{"report", "--since", "2026-11-01", "--format", "pdf", auditFixture},
		{"report", "--since", "2026-11-01", "--config", badCfg, auditFixture},
		{"report", "--since", "2026-11-01", "--config", badTOML, auditFixture},
		{"report", "--since", "2026-11-01", "--config", "/no/such.toml", auditFixture},
	} {
		if code, _, _ := runCmd(t, "", args...); code < 64 {
			t.Errorf("%q: exit %d, want >= 64", args, code)
		}
	}
	// Without --config: every sender in "other", the default incident rules.
	code, out, _ := runCmd(t, "", "report", "--since", "2026-11-01", "--until", "2026-12-01", auditFixture)
	if code != 0 || !strings.Contains(out, "password-in-body, recipient-domain-lookalike, recipient-domain-anonymous") ||
		!strings.Contains(out, "| (その他 / other) |       11 |") {
		t.Errorf("no config: exit %d\n%s", code, out)
	}
}
