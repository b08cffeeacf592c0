#!/usr/bin/env bash
# bench/run.sh — run sendguard's whole benchmark and record it.
#
#   bash bench/run.sh            # from anywhere inside the repository
#
# Builds bench/loadgen and sendguard, then runs
#   - the load matrix: targets direct, sendguard (full inspection) and a plain
#     Postfix relay × messages ja5k and zip200k × 1, 8 and 32 connections,
#     10 s of sending each (fresh sink and target process for every run);
#   - PAIRED more passes of sendguard and Postfix at 8 connections, each
#     pair run back to back (the 3× target is about 8 connections, and the
#     machine may be shared);
#   - the RSS run: sendguard relaying one ~50 MB message (37 MB ZipCrypto ZIP,
#     then 37 MB AES-256 ZIP);
# and writes everything, with a description of the machine, to
# bench/results-<UTC date>.txt (and the figures as JSON to
# bench/results-<UTC date>.json; a later run on the same day adds -HHMM).
#
# Needs: Go, zip; 7-Zip (7zz or 7z) for the AES run; Postfix and root for the
# postfix target (skipped with a note otherwise). Traffic stays on 127.0.0.1.
# Every step is bounded by `timeout` within a 14-minute budget; the whole
# script ends within 15 minutes.
#
# Environment: DURATION (default 10s) per run, CONNS (default 1,8,32),
# TARGETS (default direct,sendguard,postfix), MSGS (default ja5k,zip200k),
# PAIRED (default 3: passes of sendguard and Postfix side by side at 8
# connections after the matrix; 0 = none), SENDGUARD_BIN (a sendguard binary
# to measure instead of building ./cmd/sendguard from the work tree).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

DURATION=${DURATION:-10s}
CONNS=${CONNS:-1,8,32}
TARGETS=${TARGETS:-direct,sendguard,postfix}
MSGS=${MSGS:-ja5k,zip200k}
PAIRED=${PAIRED:-3}

stamp=$(date -u +%Y-%m-%d)
# A second run on the same day keeps the first: results-<date>-HHMM.txt.
[ -e "$here/results-$stamp.txt" ] && stamp=$(date -u +%Y-%m-%d-%H%M)
out="$here/results-$stamp.txt"
json="$here/results-$stamp.json"
work=$(mktemp -d /tmp/sendguard-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT

if ! command -v zip >/dev/null; then
	echo "run.sh: zip is missing (apt-get install zip)" >&2
	exit 1
fi
kinds=zipcrypto
if command -v 7zz >/dev/null || command -v 7z >/dev/null || command -v 7za >/dev/null; then
	kinds=zipcrypto,aes256
else
	echo "run.sh: no 7-Zip (7zz/7z): the AES-256 RSS run is left out (apt-get install 7zip)" >&2
fi

echo "run.sh: building" >&2
timeout 180 go build -o "$work/loadgen" ./bench/loadgen
if [ -n "${SENDGUARD_BIN:-}" ]; then
	cp "$SENDGUARD_BIN" "$work/sendguard"
else
	timeout 180 go build -o "$work/sendguard" ./cmd/sendguard
fi

{
	echo "# sendguard benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "# commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
	echo "# sendguard binary: ${SENDGUARD_BIN:-built from the work tree}"
	echo "# nproc: $(nproc)"
	echo "# $(lscpu | grep 'Model name' | sed 's/  */ /g')"
	echo "# free -h:"
	free -h | sed 's/^/#   /'
	echo "# $(go version)"
	echo "# postfix: $( (/usr/sbin/postconf -d -h mail_version 2>/dev/null || postconf -d -h mail_version 2>/dev/null) || echo 'not installed')"
	echo "# kernel: $(uname -r)"
	echo "# uptime at start: $(uptime)"
	echo "# The machine is shared with other work: see the load averages per run."
	echo
} >"$out"

status=0
# Every step gets at most what is left of the budget (14 minutes from the
# start of the script), and at most its own cap.
budget=840
step_timeout() { # cap
	local left=$((budget - SECONDS))
	[ "$left" -lt 10 ] && left=10
	[ "$1" -lt "$left" ] && left=$1
	echo "$left"
}

echo "run.sh: load matrix ($TARGETS × $MSGS × $CONNS conns, $DURATION each)" >&2
echo "## Matrix" >>"$out"
timeout -k 20 "$(step_timeout 420)" "$work/loadgen" -sendguard-bin "$work/sendguard" -workdir "$work/load" \
	-target "$TARGETS" -msg "$MSGS" -conns "$CONNS" -duration "$DURATION" \
	-max-msgs 200000 -drain 40s -json-file "$work/matrix.json" >>"$out" || status=$?

if [ "$PAIRED" -gt 0 ] && [[ $TARGETS == *sendguard* && $TARGETS == *postfix* ]]; then
	echo "run.sh: $PAIRED paired passes at 8 connections" >&2
	printf '\n## sendguard and Postfix side by side at 8 connections, %s passes\n' "$PAIRED" >>"$out"
	timeout -k 20 "$(step_timeout 240)" "$work/loadgen" -sendguard-bin "$work/sendguard" -workdir "$work/paired" \
		-target sendguard,postfix -msg "$MSGS" -conns 8 -duration "$DURATION" -repeat "$PAIRED" \
		-max-msgs 200000 -drain 20s -json-file "$work/paired.json" >>"$out" || status=$?
fi

echo "run.sh: RSS run ($kinds)" >&2
printf '\n## RSS\n' >>"$out"
timeout -k 20 "$(step_timeout 120)" "$work/loadgen" -sendguard-bin "$work/sendguard" -workdir "$work/rss" \
	-rss50m -rss-kinds "$kinds" -json-file "$work/rss.json" >>"$out" || status=$?

# One JSON file: the matrix, the paired passes and the RSS results.
if command -v python3 >/dev/null; then
	python3 - "$json" "$work/matrix.json" "$work/paired.json" "$work/rss.json" <<'PY'
import json, sys
def load(p):
    try:
        return json.load(open(p))
    except Exception:
        return {}
matrix, paired, rss = (load(p) for p in sys.argv[2:5])
report = {
    "machine": matrix.get("machine") or rss.get("machine"),
    "runs": matrix.get("runs", []),
    "paired_8conns": paired.get("runs", []),
    "rss": rss.get("rss", []),
    "failed": any(d.get("failed", False) for d in (matrix, paired, rss)),
}
json.dump(report, open(sys.argv[1], "w"), indent=2)
PY
else
	cp "$work/matrix.json" "$json" 2>/dev/null || true
fi

echo >>"$out"
echo "# uptime at end: $(uptime)" >>"$out"
cat "$out"
echo "run.sh: wrote $out and $json (status $status, $SECONDS s)" >&2
exit "$status"
