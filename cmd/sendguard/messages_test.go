package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCheckMessages runs `sendguard check` on every message in
// testdata/messages (made by testdata/messages/make.go, as Japanese mailers
// write them) and asserts what a sender would be told: the exit status, the
// rule ids, and the decoded file names named as evidence.
func TestCheckMessages(t *testing.T) {
	type want struct {
		code     int
		rules    []string
		evidence []string
	}
	unenc := "attachment-unencrypted"
	unscan := "attachment-unscannable"
	cases := map[string]want{
		"becky-sjis-rfc2231-jis.eml":        {exitReject, []string{unenc}, []string{"予算表.xlsx", "打合せ議事録_第3回.docx"}},
		"calendar-invite.eml":               {exitPass, nil, nil},
		"corrupt-base64.eml":                {exitReject, []string{unscan}, []string{"broken.pdf"}},
		"deep-nesting.eml":                  {exitReject, []string{unscan}, []string{"part 1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1"}},
		"forward-rfc822.eml":                {exitReject, []string{unenc}, []string{"資料.zip"}},
		"gmail-alternative-attachment.eml":  {exitReject, []string{unenc}, []string{"契約書（案）.pdf"}},
		"iphone-inline-image.eml":           {exitReject, []string{unenc}, []string{"IMG_0123.jpg"}},
		"misleading-name-zip-as-txt.eml":    {exitReject, []string{unenc}, []string{"議事録.txt"}},
		"missing-final-boundary.eml":        {exitReject, []string{unscan, unenc}, []string{"message", "cut.zip"}},
		"outlook-html-cid-logo.eml":         {exitReject, []string{unenc}, []string{"案内.xls"}},
		"outlook-iso2022jp-quoted-word.eml": {exitReject, []string{unenc}, []string{"見積書.zip"}},
		"outlook-tnef-winmail.eml":          {exitReject, []string{unenc}, []string{"見積書_2024年5月.pdf", "議事録.txt"}},
		"pgp-mime-encrypted.eml":            {exitPass, nil, nil},
		"raw-sjis-filename.eml":             {exitReject, []string{unenc}, []string{"予定表.xls", "ソフト 一覧.csv"}},
		"smime-enveloped.eml":               {exitPass, nil, nil},
		"smime-multipart-signed.eml":        {exitReject, []string{unenc}, []string{"signed.zip"}},
		"smime-opaque-signed.eml":           {exitReject, []string{unenc}, []string{"opaque.zip"}},
		"thunderbird-rfc2231-utf8.eml":      {exitReject, []string{unenc}, []string{"請求書.pdf", "令和六年度第一四半期営業報告書（最終版・社外秘）.pdf"}},
		"unknown-transfer-encoding.eml":     {exitReject, []string{unscan}, []string{"odd.bin"}},
		"uuencode-in-body.eml":              {exitReject, []string{unenc}, []string{"report.zip"}},
		"x-uuencode-part.eml":               {exitReject, []string{unenc}, []string{"data.bin"}},
	}
	files, _ := filepath.Glob("../../testdata/messages/*.eml")
	if len(files) == 0 {
		t.Fatal("no testdata messages")
	}
	cfg := writeConfig(t, "")
	for _, f := range files {
		name := filepath.Base(f)
		w, ok := cases[name]
		if !ok {
			t.Errorf("%s: no expected verdict in this test", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			code, out, errs := runCmd(t, "", "check", "--config", cfg, "--json", f)
			if code != w.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, w.code, out, errs)
			}
			var v struct {
				Findings []struct{ Rule, Evidence string }
			}
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatal(err)
			}
			var rules, evidence []string
			for _, f := range v.Findings {
				if !slices.Contains(rules, f.Rule) {
					rules = append(rules, f.Rule)
				}
				evidence = append(evidence, f.Evidence)
			}
			if !slices.Equal(rules, w.rules) {
				t.Errorf("rules %q, want %q", rules, w.rules)
			}
			if !slices.Equal(evidence, w.evidence) {
				t.Errorf("evidence %q, want %q", evidence, w.evidence)
			}
			// The human output says the same, in Japanese and English.
			_, text, _ := runCmd(t, "", "check", "--config", cfg, f)
			for _, e := range w.evidence {
				if !strings.Contains(text, e) {
					t.Errorf("text output lacks %q", e)
				}
			}
		})
	}
}
