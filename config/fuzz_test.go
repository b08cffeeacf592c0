package config

import (
	"strings"
	"testing"
)

// FuzzDecode: any file gets a result — values or errors naming their
// place — and never a panic; a file that decodes with no problem has no
// wrong types, and every error has a message.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"[server]\nlisten = \"127.0.0.1:2525\"\n",
		"[server]\nmax_recipients = \"500\"\nlisen = 1\n",
		"[[server.users]]\nname = 1\n[[server.users]]\npassword_bcrypt = [1, \"x\"]\n",
		"[rules.attachment-unencrypted]\nincident = \"yes\"\nexempt_senders = [[1]]\n",
		"[explain.templates.\"password-in-body\".ja]\nsummary = 3\n",
		"server = 1\n[upstream]\nconnect_timeout = 1979-05-27T07:32:00Z\n",
		"[domains]\ninternal = { a = 1 }\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		var file File
		lines, errs, ok := decode("c.toml", []byte(data), &file)
		if ok && lines == nil {
			t.Fatal("decoded without key lines")
		}
		for _, e := range errs {
			if e.Msg == "" || e.File != "c.toml" {
				t.Fatalf("error without message or file: %+v", e)
			}
			if ok && !strings.HasPrefix(e.Msg, "unknown key") && !strings.HasPrefix(e.Msg, "unknown section") {
				t.Fatalf("decoded although %q", e.Error())
			}
		}
	})
}
