package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sendguard/sendguard/mailarchive"
	"github.com/sendguard/sendguard/replay"
)

// replayArchive is an mbox and a Maildir built in a temporary directory from
// messages made here and from testdata.
type replayArchive struct {
	dir, mbox, maildir string
	// offsets of the mbox messages, by name
	offsets map[string]int
	// maildir files, by name
	files map[string]string
	// the mbox messages as made, in mbox order
	order []string
	msgs  map[string][]byte
}

func plainZip(t *testing.T, dir, name string, size int) string {
	t.Helper()
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("名簿.csv")
	data := []byte("yamada,090-0000-0000\n")
	if size > 0 {
		data = make([]byte, size)
		rand.Read(data)
		w, _ = zw.CreateHeader(&zip.FileHeader{Name: "random.bin", Method: zip.Store})
	}
	w.Write(data)
	zw.Close()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, zb.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustBuild(t *testing.T, from string, to []string, subject, body string, attach ...string) []byte {
	t.Helper()
	msg, err := buildMessage(from, to, subject, body, attach)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// withHeader puts header fields in front of a message, as an MTA does.
func withHeader(fields string, msg []byte) []byte {
	return append([]byte(fields), msg...)
}

var mboxFromLine = regexp.MustCompile(`(?m)^(>*From )`)

// writeMboxrd writes messages as an mboxrd writer does: a "From " line
// before each, ">" before every line that starts with ">*From ", a blank
// line after each — except for lines starting "From the minutes", left as a
// careless (mboxo) writer leaves them.
func writeMboxrd(t *testing.T, path string, names []string, msgs map[string][]byte) map[string]int {
	t.Helper()
	var b bytes.Buffer
	offsets := map[string]int{}
	for _, n := range names {
		offsets[n] = b.Len()
		b.WriteString("From sender@example.co.jp Mon Nov  2 10:00:00 2026\n")
		m := mboxFromLine.ReplaceAll(msgs[n], []byte(">$1"))
		m = bytes.ReplaceAll(m, []byte("\n>From the minutes"), []byte("\nFrom the minutes"))
		b.Write(m)
		if !bytes.HasSuffix(m, []byte("\n")) {
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return offsets
}

func buildReplayArchive(t *testing.T) *replayArchive {
	t.Helper()
	dir := t.TempDir()
	a := &replayArchive{dir: dir, mbox: filepath.Join(dir, "sent.mbox"), maildir: filepath.Join(dir, "Maildir"), files: map[string]string{}}
	meibo := plainZip(t, dir, "meibo.zip", 0)
	huge := plainZip(t, dir, "huge.zip", 300<<10)
	ext := []string{"bob@partner.example.com"}
	msgs := map[string][]byte{
		"plain-zip":     mustBuild(t, "alice@example.co.jp", ext, "名簿", "送ります\n", meibo),
		"aes-zip":       mustBuild(t, "alice@example.co.jp", ext, "名簿", "送ります\n", "../../testdata/attachments/aes256.zip"),
		"internal":      mustBuild(t, "alice@example.co.jp", []string{"carol@example.co.jp"}, "名簿", "社内\n", meibo),
		"text-only":     mustBuild(t, "alice@example.co.jp", ext, "ご挨拶", "お世話になっております。\n", nil...),
		"tanaka":        mustBuild(t, "tanaka@example.co.jp", []string{"x@client.example.jp"}, "見積", "送ります\n", meibo),
		"huge":          mustBuild(t, "alice@example.co.jp", ext, "大きい", "送ります\n", huge),
		"from-in-body":  []byte("From: alice@example.co.jp\r\nTo: bob@partner.example.com\r\nMessage-ID: <from-in-body@example.co.jp>\r\nSubject: minutes\r\n\r\nFirst line.\r\n\r\nFrom the minutes of Monday:\r\n>From a quoted reply\r\nFrom Tokyo 10:30 2026\r\n"),
		"envelope-capt": withHeader("Return-Path: <suzuki@example.co.jp>\r\nX-Envelope-To: <dave@vendor.example.net>\r\n", mustBuild(t, "alice@example.co.jp", []string{"carol@example.co.jp"}, "転送", "送ります\n", meibo)),
	}
	order := []string{"plain-zip", "aes-zip", "internal", "text-only", "from-in-body", "tanaka", "huge", "envelope-capt"}
	a.offsets = writeMboxrd(t, a.mbox, order, msgs)
	a.order, a.msgs = order, msgs

	for _, sub := range []string{"cur", "new", "tmp"} {
		os.MkdirAll(filepath.Join(a.maildir, sub), 0o700)
	}
	put := func(name, file string, data []byte) {
		p := filepath.Join(a.maildir, file)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		a.files[name] = p
	}
	corrupt, err := os.ReadFile("../../testdata/messages/corrupt-base64.eml")
	if err != nil {
		t.Fatal(err)
	}
	calendar, err := os.ReadFile("../../testdata/messages/calendar-invite.eml")
	if err != nil {
		t.Fatal(err)
	}
	put("corrupt", "cur/1764000001.M1P1.host:2,S", corrupt)
	put("calendar", "cur/1764000002.M1P1.host:2,S", calendar)
	put("zip", "new/1764000003.M1P1.host", mustBuild(t, "alice@example.co.jp", ext, "再送", "送ります\n", meibo))
	put("tmp", "tmp/1764000004.M1P1.host", mustBuild(t, "alice@example.co.jp", ext, "配送中", "送ります\n", meibo))
	return a
}

func (a *replayArchive) id(name string) string {
	if p, ok := a.files[name]; ok {
		return p
	}
	off, ok := a.offsets[name]
	if !ok {
		panic("no message " + name)
	}
	return a.mbox + "#" + itoa(off)
}

func itoa(n int) string { return strconv.Itoa(n) }

// openArchiveForTest reads every message of path; they are closed when the
// test ends.
func openArchiveForTest(t *testing.T, path string) []*mailarchive.Message {
	t.Helper()
	a, err := mailarchive.Open([]string{path}, mailarchive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*mailarchive.Message
	err = a.Walk(context.Background(), func(m *mailarchive.Message) error {
		out = append(out, m)
		return nil
	})
	t.Cleanup(func() {
		for _, m := range out {
			m.Close()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func replayConfigs(t *testing.T) (string, string) {
	limit := "[server]\nmax_message_bytes = 200000\n"
	return writeConfig(t, limit), writeConfig(t, limit+"[rules.attachment-unencrypted]\naction = \"flag\"\n")
}

func decodeReplay(t *testing.T, out string) replay.Summary {
	t.Helper()
	var s replay.Summary
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	return s
}

// TestReplayMboxContent reads the mbox made for the replay tests back: each
// message as it was made, ">From " lines unescaped, a body line "From the
// minutes" after a blank line not taken for a separator.
func TestReplayMboxContent(t *testing.T) {
	a := buildReplayArchive(t)
	msgs := openArchiveForTest(t, a.mbox)
	if len(msgs) != len(a.order) {
		t.Fatalf("%d messages in the mbox, want %d", len(msgs), len(a.order))
	}
	for i, m := range msgs {
		data, err := io.ReadAll(m.Data.Reader())
		if err != nil {
			t.Fatal(err)
		}
		name := a.order[i]
		if m.ID != a.id(name) || !bytes.Equal(data, a.msgs[name]) {
			t.Errorf("message %d (%s, %s):\n%.300q\nwant\n%.300q", i, name, m.ID, data, a.msgs[name])
		}
	}
}

func TestReplayJSON(t *testing.T) {
	a := buildReplayArchive(t)
	cfg, _ := replayConfigs(t)
	code, out, errs := runCmd(t, "", "replay", "--config", cfg, "--json", a.mbox, a.maildir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	s := decodeReplay(t, out)

	// 8 in the mbox (a body line "From the minutes" does not split a
	// message), 3 in the Maildir (tmp/ is not read); one is too large.
	if s.Messages != 11 || s.Evaluated != 10 || s.SkippedTooLarge != 1 || s.Unreadable != 0 || s.Errors != 0 {
		t.Errorf("messages %d, evaluated %d, too large %d, unreadable %d, errors %d",
			s.Messages, s.Evaluated, s.SkippedTooLarge, s.Unreadable, s.Errors)
	}
	wantVerdicts := map[string]int{"pass": 5, "flag": 0, "hold": 0, "approve": 0, "reject": 5}
	if !mapsEqual(s.Verdicts, wantVerdicts) {
		t.Errorf("verdicts %v, want %v", s.Verdicts, wantVerdicts)
	}
	if len(s.Skipped) != 1 || s.Skipped[0].ID != a.id("huge") || s.Skipped[0].Reason != "too-large" || s.Skipped[0].Size <= 200000 {
		t.Errorf("skipped: %+v", s.Skipped)
	}
	if len(s.Rules) != 2 {
		t.Fatalf("rules: %+v", s.Rules)
	}
	unenc, unscan := s.Rules[0], s.Rules[1]
	if unenc.Rule != "attachment-unencrypted" || unenc.Messages != 4 || unenc.Actions["reject"] != 4 {
		t.Errorf("first rule: %+v", unenc)
	}
	// Return-Path and X-Envelope-To of the captured message are its envelope.
	wantSenders := []replay.Count{{Value: "alice@example.co.jp", Count: 2}, {Value: "suzuki@example.co.jp", Count: 1}, {Value: "tanaka@example.co.jp", Count: 1}}
	if !slices.Equal(unenc.TopSenders, wantSenders) {
		t.Errorf("top senders %v, want %v", unenc.TopSenders, wantSenders)
	}
	wantDomains := []replay.Count{{Value: "partner.example.com", Count: 2}, {Value: "client.example.jp", Count: 1}, {Value: "vendor.example.net", Count: 1}}
	if !slices.Equal(unenc.TopRecipientDomains, wantDomains) {
		t.Errorf("top domains %v, want %v", unenc.TopRecipientDomains, wantDomains)
	}
	var exIDs []string
	for _, e := range unenc.Examples {
		exIDs = append(exIDs, e.ID)
		if e.File != a.mbox || !slices.Equal(e.Evidence, []string{"meibo.zip"}) || !strings.HasSuffix(e.MessageID, "@sendguard.send>") {
			t.Errorf("example %+v", e)
		}
	}
	if want := []string{a.id("plain-zip"), a.id("tanaka"), a.id("envelope-capt")}; !slices.Equal(exIDs, want) {
		t.Errorf("examples %q, want %q", exIDs, want)
	}
	if unscan.Rule != "attachment-unscannable" || unscan.Messages != 1 || len(unscan.Examples) != 1 ||
		unscan.Examples[0].ID != a.id("corrupt") || unscan.Examples[0].MessageID != "<b64-0001@example.co.jp>" ||
		!slices.Equal(unscan.Examples[0].Evidence, []string{"broken.pdf"}) {
		t.Errorf("second rule: %+v", unscan)
	}
	if s.Diff != nil {
		t.Errorf("diff without --diff: %+v", s.Diff)
	}

	// The same output on another run, whatever the workers' order.
	_, out2, _ := runCmd(t, "", "replay", "--config", cfg, "--json", a.mbox, a.maildir)
	s2 := decodeReplay(t, out2)
	s.ElapsedMS, s2.ElapsedMS = 0, 0
	j1, _ := json.Marshal(s)
	j2, _ := json.Marshal(s2)
	if !bytes.Equal(j1, j2) {
		t.Errorf("two runs differ:\n%s\n%s", j1, j2)
	}

	// --examples 1
	_, out, _ = runCmd(t, "", "replay", "--config", cfg, "--json", "--examples", "1", a.mbox)
	s = decodeReplay(t, out)
	if len(s.Rules) == 0 || len(s.Rules[0].Examples) != 1 || s.Rules[0].Examples[0].ID != a.id("plain-zip") {
		t.Errorf("--examples 1: %+v", s.Rules)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestReplayText(t *testing.T) {
	a := buildReplayArchive(t)
	cfg, _ := replayConfigs(t)
	code, out, errs := runCmd(t, "", "replay", "--config", cfg, a.mbox, a.maildir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	if errs != "" {
		t.Errorf("stderr not a terminal, few messages: want no progress lines, got %q", errs)
	}
	for _, re := range []string{
		`11 messages, 10 evaluated`,
		`(?m)^  pass\s+5$`,
		`(?m)^  reject\s+5$`,
		`(?m)^  not evaluated: 1 over max_message_bytes \(200000\), 0 unreadable, 0 not a mail, 0 evaluation errors`,
		`(?m)^  attachment-unencrypted\s+4\s+4\s+0\s+0\s+0\s+0$`,
		`(?m)^\[attachment-unencrypted\] 4 messages$`,
		`(?m)^\s+2  alice@example\.co\.jp$`,
		`(?m)^\s+1  vendor\.example\.net$`,
		`(?m)^    ` + regexp.QuoteMeta(a.id("plain-zip")) + `  <\S+@sendguard\.send>  meibo\.zip$`,
		`(?m)^    ` + regexp.QuoteMeta(a.id("corrupt")) + `  <b64-0001@example\.co\.jp>  broken\.pdf$`,
		`(?m)^  ` + regexp.QuoteMeta(a.id("huge")) + `  too-large  message over the size limit`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", re, out)
		}
	}
}

func TestReplayDiff(t *testing.T) {
	a := buildReplayArchive(t)
	rejectCfg, flagCfg := replayConfigs(t)
	code, out, errs := runCmd(t, "", "replay", "--config", rejectCfg, "--diff", flagCfg, "--json", a.mbox, a.maildir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	s := decodeReplay(t, out)
	d := s.Diff
	if d == nil || d.Config != flagCfg {
		t.Fatalf("diff: %+v", d)
	}
	if d.Changed != 4 || !slices.Equal(d.Transitions, []replay.Transition{{From: "reject", To: "flag", Count: 4}}) {
		t.Errorf("changed %d, transitions %+v", d.Changed, d.Transitions)
	}
	wantVerdicts := map[string]int{"pass": 5, "flag": 4, "hold": 0, "approve": 0, "reject": 1}
	if !mapsEqual(d.Verdicts, wantVerdicts) {
		t.Errorf("verdicts under the other config %v, want %v", d.Verdicts, wantVerdicts)
	}
	var ids []string
	for _, c := range d.Messages {
		ids = append(ids, c.ID)
		if c.Old != "reject" || c.New != "flag" || !slices.Equal(c.OldRules, []string{"attachment-unencrypted"}) ||
			!slices.Equal(c.NewRules, []string{"attachment-unencrypted"}) || c.MessageID == "" {
			t.Errorf("change %+v", c)
		}
	}
	if want := []string{a.id("plain-zip"), a.id("tanaka"), a.id("envelope-capt"), a.id("zip")}; !slices.Equal(ids, want) {
		t.Errorf("changed messages %q, want %q", ids, want)
	}

	_, out, _ = runCmd(t, "", "replay", "--config", rejectCfg, "--diff", flagCfg, a.mbox, a.maildir)
	for _, want := range []string{
		"4 of 10 messages change verdict",
		"reject → flag  4",
		a.id("zip") + "  <",
		"reject → flag  [attachment-unencrypted] → [attachment-unencrypted]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text diff lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, a.id("corrupt")+"  <b64-0001@example.co.jp>  reject") {
		t.Errorf("unchanged message listed as changed:\n%s", out)
	}
}

func TestReplayEMLFolderAndEmpty(t *testing.T) {
	dir := t.TempDir()
	meibo := plainZip(t, dir, "meibo.zip", 0)
	os.MkdirAll(filepath.Join(dir, "mails", "sub"), 0o700)
	os.WriteFile(filepath.Join(dir, "mails", "sub", "a.eml"), mustBuild(t, "alice@example.co.jp", []string{"bob@partner.example.com"}, "s", "b\n", meibo), 0o600)
	os.WriteFile(filepath.Join(dir, "mails", "readme.txt"), []byte("not mail"), 0o600)
	cfg := writeConfig(t, "")
	code, out, _ := runCmd(t, "", "replay", "--config", cfg, "--json", filepath.Join(dir, "mails"))
	s := decodeReplay(t, out)
	if code != 0 || s.Messages != 1 || s.Verdicts["reject"] != 1 || s.Rules[0].Examples[0].ID != filepath.Join(dir, "mails", "sub", "a.eml") {
		t.Errorf("exit %d: %+v", code, s)
	}

	os.MkdirAll(filepath.Join(dir, "empty"), 0o700)
	code, out, _ = runCmd(t, "", "replay", "--config", cfg, filepath.Join(dir, "empty"))
	if code != 0 || !strings.Contains(out, "0 messages") || !strings.Contains(out, "no rule found anything") {
		t.Errorf("empty folder: exit %d\n%s", code, out)
	}
}

func TestReplayUsageErrors(t *testing.T) {
	cfg := writeConfig(t, "")
	bad := writeConfig(t, "[rules.attachment-unencrypted]\naction = \"explode\"\n")
	dir := t.TempDir()
	for _, args := range [][]string{
		{"replay", "--config", cfg},
		{"replay", dir},
		{"replay", "--config", cfg, filepath.Join(dir, "missing.mbox")},
		{"replay", "--config", bad, dir},
		{"replay", "--config", cfg, "--diff", bad, dir},
		{"replay", "--config", cfg, "--examples", "-1", dir},
		{"replay", "--config", cfg, "--no-such-flag", dir},
	} {
		if code, _, _ := runCmd(t, "", args...); code < 64 {
			t.Errorf("%q: exit %d, want >= 64", args, code)
		}
	}
}

func TestReplayEnvelope(t *testing.T) {
	for _, tc := range []struct {
		header   string
		from     string
		to       []string
		comments string
	}{
		{"From: a@example.co.jp\r\nTo: b@x.example, c@y.example\r\nCc: d@z.example\r\n", "a@example.co.jp", []string{"b@x.example", "c@y.example", "d@z.example"}, "headers"},
		{"Return-Path: <r@example.co.jp>\r\nX-Envelope-To: <e1@x.example>\r\nX-Envelope-To: <e2@y.example>\r\nFrom: a@example.co.jp\r\nTo: b@example.co.jp\r\n", "r@example.co.jp", []string{"e1@x.example", "e2@y.example"}, "capture"},
		{"Return-Path: <>\r\nDelivered-To: archive@example.co.jp\r\nFrom: a@example.co.jp\r\nTo: b@x.example\r\n", "a@example.co.jp", []string{"b@x.example", "archive@example.co.jp"}, "null sender, delivered-to"},
	} {
		dir := t.TempDir()
		p := filepath.Join(dir, "m.eml")
		os.WriteFile(p, []byte(tc.header+"Subject: s\r\n\r\nbody\r\n"), 0o600)
		var env []string
		var from string
		for _, m := range openArchiveForTest(t, p) {
			e := replay.Envelope(m)
			from, env = e.From, e.To
		}
		if from != tc.from || !slices.Equal(env, tc.to) {
			t.Errorf("%s: from %q to %q, want %q %q", tc.comments, from, env, tc.from, tc.to)
		}
	}
}

func TestProgressLine(t *testing.T) {
	line := progressLine(42, 50, 100, 0)
	if want := "replay [" + strings.Repeat("█", 15) + strings.Repeat(" ", 15) + "]  50%  42 messages  0s"; line != want {
		t.Errorf("progress line %q\nwant          %q", line, want)
	}
}
