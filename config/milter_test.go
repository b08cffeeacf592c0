package config

import (
	"strings"
	"testing"
)

// TestMilterListen: [milter] listen is off by default, takes host:port or
// unix:/path, names line and key when wrong, and warns when the milter
// (which has no authentication) is reachable from other hosts.
func TestMilterListen(t *testing.T) {
	const up = "[upstream]\naddress = \"capture:./c\"\n"
	cases := []struct {
		name     string
		toml     string
		want     string // the listen value after loading
		wantErr  string
		wantWarn string
	}{
		{name: "off by default", toml: up, want: ""},
		{name: "loopback TCP", toml: up + "[milter]\nlisten = \"127.0.0.1:8891\"\n", want: "127.0.0.1:8891"},
		{name: "unix socket", toml: up + "[milter]\nlisten = \"unix:/run/sendguard/milter.sock\"\n", want: "unix:/run/sendguard/milter.sock"},
		{name: "no port", toml: up + "[milter]\nlisten = \"127.0.0.1\"\n",
			wantErr: `:4: milter.listen: not host:port or unix:/path: "127.0.0.1"`},
		{name: "inet: spelled as in Postfix", toml: up + "[milter]\nlisten = \"inet:8891@127.0.0.1\"\n",
			wantErr: ":4: milter.listen: not host:port or unix:/path"},
		{name: "empty unix path", toml: up + "[milter]\nlisten = \"unix:\"\n",
			wantErr: ":4: milter.listen: unix: needs a socket path"},
		{name: "socket path too long", toml: up + "[milter]\nlisten = \"unix:/" + strings.Repeat("d", 120) + "\"\n",
			wantErr: "longer than a Unix socket address allows"},
		{name: "same address as the smarthost", toml: "[server]\nlisten = \"127.0.0.1:2525\"\n" + up + "[milter]\nlisten = \"127.0.0.1:2525\"\n",
			wantErr: ":6: milter.listen: the same address as server.listen"},
		{name: "public address warns", toml: up + "[milter]\nlisten = \"0.0.0.0:8891\"\n", want: "0.0.0.0:8891",
			wantWarn: ":4: milter.listen: the milter protocol has no authentication"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Load(write(t, "sendguard.toml", c.toml))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Milter.Listen != c.want {
				t.Errorf("listen %q, want %q", f.Milter.Listen, c.want)
			}
			warns := f.Warnings.Error()
			if c.wantWarn == "" && len(f.Warnings) > 0 || c.wantWarn != "" && !strings.Contains(warns, c.wantWarn) {
				t.Errorf("warnings %q, want %q", warns, c.wantWarn)
			}
		})
	}
}
