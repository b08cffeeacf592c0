package smtpfilter_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestPersonalDataOverSMTP: a customer list pasted into the body is
// refused with 550 naming personal-data-in-body, and neither the reply the
// client hears nor the audit line holds the data: no phone number, no
// Individual Number, no name, no personal address (masks only).
func TestPersonalDataOverSMTP(t *testing.T) {
	rows := []string{
		"山田 太郎 090-1200-3400 taro.y@gmail.com",
		"佐藤 花子 080-1311-3417 hanako.s@gmail.com",
		"鈴木 一郎 070-1422-3434 ichiro.s@gmail.com",
		"高橋 美咲 090-1533-3451 misaki.t@gmail.com",
		"田中 健太 080-1644-3468 kenta.t@gmail.com",
		"伊藤 さくら 090-1755-3485 sakura.i@gmail.com",
	}
	body := "顧客リストです。\n" + strings.Join(rows, "\n") + "\nマイナンバー 1234 5678 9018\n"
	h := start(t, options{})
	msg := message(sender, external, "顧客リスト", body, "", nil)
	_, err := h.send(h.dial(), sender, []string{external}, msg)
	code, text := smtpCode(err)
	if code != 550 || !strings.Contains(text, "[personal-data-in-body]") {
		t.Fatalf("client heard %d %s, want 550 [personal-data-in-body]", code, text)
	}
	if n := len(h.sink.Messages()); n != 0 {
		t.Errorf("a rejected message reached the sink")
	}
	lines := h.waitAudit(1)
	if len(lines) != 1 {
		t.Fatalf("audit lines: %v", lines)
	}
	audit, _ := json.Marshal(lines[0])
	if !strings.Contains(string(audit), "personal-data-in-body") {
		t.Errorf("audit line does not name the rule: %s", audit)
	}
	leaks := []string{"太郎", "花子", "taro.y", "hanako.s", "123456789018", "1234 5678 9018", "5678 9018"}
	for _, r := range rows {
		phone := strings.Fields(r)[2]
		leaks = append(leaks, phone, strings.ReplaceAll(phone, "-", ""))
	}
	for what, s := range map[string]string{"reply": text, "audit line": string(audit)} {
		for _, leak := range leaks {
			if strings.Contains(s, leak) {
				t.Errorf("%s shows %q: %s", what, leak, s)
			}
		}
	}
}
