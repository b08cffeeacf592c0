#!/usr/bin/env bash
# Package test (issue 15): build the Debian package with
# `go run ./packaging/build`, install it with dpkg -i, run the service the
# way its unit does (ExecStartPre and ExecStart as the sendguard user;
# systemd is not PID 1 in CI), send one mail that passes and one that is
# rejected through it, upgrade it over an edited conffile, stop it, then
# dpkg -r and dpkg --purge it and check what is left.
#
# Needs root and dpkg. Bounded: every step has a timeout, and the whole
# run stops after SENDGUARD_PACKAGE_TEST_TIMEOUT seconds (default 600).
# The EXIT trap leaves the machine as it found it, on success or failure:
# the server stopped, the package purged, the sendguard user removed if
# this script created it, the work directory deleted. It refuses to run
# when a sendguard package is already installed (not its own to remove).
set -euo pipefail
cd "$(dirname "$0")/.."

limit=${SENDGUARD_PACKAGE_TEST_TIMEOUT:-600}
if [ -z "${SENDGUARD_PACKAGE_TEST_BOUNDED:-}" ]; then
  # Re-run under timeout(1); it sends TERM, which the trap below turns
  # into a normal exit with cleanup.
  SENDGUARD_PACKAGE_TEST_BOUNDED=1 exec timeout --kill-after=30 "$limit" "$0" "$@"
fi

fail() { echo "package-test: FAIL: $*" >&2; exit 1; }
step() { echo "package-test: $*"; }

[ "$(id -u)" = 0 ] || fail "must run as root (dpkg -i, a system user)"
for tool in dpkg runuser setpriv ss curl zip; do
  command -v "$tool" >/dev/null || fail "$tool not found (dpkg, util-linux, iproute2, curl, zip on Debian/Ubuntu)"
done
if dpkg-query -W -f='${Status}' sendguard 2>/dev/null | grep -q 'installed\|config-files'; then
  fail "a sendguard package is already on this machine; not touching it (dpkg --purge sendguard first)"
fi
user_existed=no group_existed=no
getent passwd sendguard >/dev/null && user_existed=yes
getent group sendguard >/dev/null && group_existed=yes

work=$(mktemp -d /tmp/sendguard-package-test.XXXXXX)
chmod 755 "$work"
server_pid=

cleanup() {
  status=$?
  trap - EXIT TERM INT
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if dpkg-query -W -f='${Status}' sendguard 2>/dev/null | grep -q 'installed\|config-files\|half'; then
    timeout 120 dpkg --purge sendguard >/dev/null 2>&1 || echo "package-test: cleanup: dpkg --purge sendguard failed" >&2
  fi
  if [ "$user_existed" = no ] && getent passwd sendguard >/dev/null; then
    timeout 60 deluser --quiet --system sendguard >/dev/null 2>&1 || true
  fi
  if [ "$group_existed" = no ] && getent group sendguard >/dev/null; then
    timeout 60 delgroup --quiet --system sendguard >/dev/null 2>&1 || true
  fi
  if [ "$status" != 0 ] && [ -f "$work/serve.log" ]; then
    echo "package-test: server log:" >&2
    tail -n 40 "$work/serve.log" >&2
  fi
  rm -rf "$work"
  [ "$status" = 0 ] && echo "package-test: ok, machine left clean" || echo "package-test: failed (status $status), machine cleaned" >&2
  exit "$status"
}
trap cleanup EXIT
trap 'exit 124' TERM INT

step "build two versions (the second is the upgrade)"
timeout 600 go run ./packaging/build -out "$work" 0.0.0~ci1 >/dev/null
timeout 300 go run ./packaging/build -out "$work" 0.0.0~ci2 >/dev/null
deb1=$work/sendguard_0.0.0~ci1_amd64.deb
deb2=$work/sendguard_0.0.0~ci2_amd64.deb
[ -f "$deb1" ] && [ -f "$deb2" ] || fail "the build wrote no .deb"

step "dpkg -i"
timeout 120 dpkg -i "$deb1" >/dev/null
[ -x /usr/bin/sendguard ] || fail "/usr/bin/sendguard not installed"
getent passwd sendguard >/dev/null || fail "postinst did not create the sendguard user"
[ "$(stat -c %U:%G /var/lib/sendguard)" = sendguard:sendguard ] || fail "/var/lib/sendguard is $(stat -c %U:%G /var/lib/sendguard), want sendguard:sendguard"
[ "$(stat -c %U:%G /var/spool/sendguard)" = sendguard:sendguard ] || fail "/var/spool/sendguard is $(stat -c %U:%G /var/spool/sendguard), want sendguard:sendguard"
conf=/etc/sendguard/sendguard.toml
[ "$(stat -c %U:%G:%a "$conf")" = root:sendguard:640 ] || fail "$conf is $(stat -c %U:%G:%a "$conf"), want root:sendguard:640"
dpkg-query -W -f='${Conffiles}\n' sendguard | grep -q "^ $conf " || fail "$conf is not a conffile"
[ -f /usr/lib/systemd/system/sendguard.service ] || fail "unit not installed"

# The packaged configuration listens on 127.0.0.1:2525 (admin 9425). When
# another process holds one of them on this machine, edit the conffile as
# an admin would (the upgrade below must keep the edit either way).
# A listening socket on the port (ss, not a probe connection the server
# would log as a reset).
port_busy() { [ -n "$(ss -Hltn "sport = :$1")" ]; }
smtp_port=2525 admin_port=9425
if port_busy "$smtp_port" || port_busy "$admin_port"; then
  smtp_port=$((20000 + RANDOM % 20000)) admin_port=$((40000 + RANDOM % 20000))
fi
sed -i -e "s/^listen = \"127.0.0.1:2525\"/listen = \"127.0.0.1:$smtp_port\"/" \
  -e "s/^listen = \"127.0.0.1:9425\"/listen = \"127.0.0.1:$admin_port\"/" \
  -e 's/^hostname = .*/hostname = "package-test.example.co.jp"/' "$conf"
grep -q '^hostname = "package-test.example.co.jp"' "$conf" || fail "could not edit $conf"

step "upgrade over the edited conffile"
timeout 120 dpkg -i "$deb2" >/dev/null
[ "$(dpkg-query -W -f='${Version}' sendguard)" = 0.0.0~ci2 ] || fail "upgrade did not install 0.0.0~ci2"
grep -q '^hostname = "package-test.example.co.jp"' "$conf" || fail "the upgrade overwrote the edited $conf"

# The unit's ExecStartPre and ExecStart, as its User= and WorkingDirectory=.
step "run the unit's ExecStartPre and ExecStart as user sendguard"
unit=/usr/lib/systemd/system/sendguard.service
pre=$(sed -n 's/^ExecStartPre=//p' "$unit")
start=$(sed -n 's/^ExecStart=//p' "$unit")
[ "$start" = "/usr/bin/sendguard serve --config $conf" ] || fail "unexpected ExecStart: $start"
(cd /var/lib/sendguard && timeout 30 runuser -u sendguard -- $pre) >"$work/lint.log" 2>&1 || { cat "$work/lint.log" >&2; fail "ExecStartPre (policy lint) failed"; }
# setpriv execs the server (no supervising parent, as under systemd), so
# $! is the server's own PID for the SIGTERM below.
(cd /var/lib/sendguard && exec setpriv --reuid sendguard --regid sendguard --init-groups -- $start) >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  port_busy "$smtp_port" && break
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited at start"
  sleep 0.2
done
port_busy "$smtp_port" || fail "nothing listens on 127.0.0.1:$smtp_port after 20 s"
timeout 10 curl -fsS "http://127.0.0.1:$admin_port/readyz" >/dev/null || fail "admin /readyz on 127.0.0.1:$admin_port is not ready"
[ "$(ps -o user= -p "$server_pid")" = sendguard ] || fail "the server does not run as sendguard"

step "send a mail that passes"
out=$(timeout 60 /usr/bin/sendguard send --server "127.0.0.1:$smtp_port" --to bob@partner.example.com \
  --subject "package test" --body "package test body" 2>&1) || fail "send exited $?: $out"
echo "$out" | grep -q '^250 ' || fail "no 250 for a clean mail: $out"
captured=$(find /var/lib/sendguard/captured -name '*.eml' -newer "$deb2" | head -n 1)
[ -n "$captured" ] || fail "no captured message in /var/lib/sendguard/captured"
[ "$(stat -c %U "$captured")" = sendguard ] || fail "captured file not owned by sendguard"
grep -q '^X-Sendguard-Verdict: pass' "$captured" || fail "captured message has no X-Sendguard-Verdict: pass"
grep -q '^Subject: package test' "$captured" || fail "captured message is not the one sent"

step "send a mail that is rejected (a ZIP without a password)"
printf 'name,phone\nYamada,090-0000-0000\n' >"$work/meibo.csv"
(cd "$work" && zip -q -j plain.zip meibo.csv)
set +e
out=$(timeout 60 /usr/bin/sendguard send --server "127.0.0.1:$smtp_port" --to bob@partner.example.com --attach "$work/plain.zip" 2>&1)
code=$?
set -e
[ "$code" = 2 ] || fail "send of an unencrypted ZIP exited $code, want 2 (refused): $out"
echo "$out" | grep -q '550 5.7.1 \[attachment-unencrypted\]' || fail "no 550 [attachment-unencrypted]: $out"

step "stop (SIGTERM)"
kill -TERM "$server_pid"
for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
kill -0 "$server_pid" 2>/dev/null && fail "the server did not stop within 20 s of SIGTERM"
wait "$server_pid" || fail "the server exited with status $? on SIGTERM"
server_pid=

step "dpkg -r keeps the configuration, dpkg --purge removes everything"
timeout 120 dpkg -r sendguard >/dev/null
[ ! -e /usr/bin/sendguard ] || fail "dpkg -r left /usr/bin/sendguard"
[ -f "$conf" ] || fail "dpkg -r removed the conffile"
timeout 120 dpkg --purge sendguard >/dev/null
for path in "$conf" /etc/sendguard /var/lib/sendguard /var/spool/sendguard /usr/lib/systemd/system/sendguard.service; do
  [ ! -e "$path" ] || fail "dpkg --purge left $path"
done
