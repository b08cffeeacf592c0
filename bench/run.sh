#!/usr/bin/env bash
# bench/run.sh — run sendguard's whole benchmark and record it.
#
#   bash bench/run.sh            # from anywhere inside the repository
#
# Builds bench/loadgen and sendguard, then runs
#   - the load matrix: targets direct, sendguard (full inspection) and a plain
#     Postfix relay × messages ja5k and zip200k × 1, 8 and 32 connections,
#     10 s of sending each (fresh sink and target process for every run);
#   - the RSS run: sendguard relaying one ~50 MB message (37 MB ZipCrypto ZIP,
#     then 37 MB AES-256 ZIP).
# and writes everything, with a description of the machine, to
# bench/results-<UTC date>.txt (and the figures as JSON to
# bench/results-<UTC date>.json).
#
# Needs: Go, zip; 7-Zip (7zz or 7z) for the AES run; Postfix and root for the
# postfix target (skipped with a note otherwise). Traffic stays on 127.0.0.1.
# Every step is bounded by `timeout`; the whole script ends within 15 minutes.
#
# Environment: DURATION (default 10s) per run, CONNS (default 1,8,32),
# TARGETS (default direct,sendguard,postfix), MSGS (default ja5k,zip200k),
# SENDGUARD_BIN (a sendguard binary to measure instead of building
# ./cmd/sendguard from the work tree).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

DURATION=${DURATION:-10s}
CONNS=${CONNS:-1,8,32}
TARGETS=${TARGETS:-direct,sendguard,postfix}
MSGS=${MSGS:-ja5k,zip200k}

stamp=$(date -u +%Y-%m-%d)
out="$here/results-$stamp.txt"
json="$here/results-$stamp.json"
rssjson=$(mktemp)
work=$(mktemp -d /tmp/sendguard-bench-XXXXXX)
trap 'rm -rf "$work" "$rssjson"' EXIT

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
echo "run.sh: load matrix ($TARGETS × $MSGS × $CONNS conns, $DURATION each)" >&2
timeout -k 30 540 "$work/loadgen" -sendguard-bin "$work/sendguard" -workdir "$work/load" \
	-target "$TARGETS" -msg "$MSGS" -conns "$CONNS" -duration "$DURATION" \
	-max-msgs 200000 -drain 40s -json-file "$json" >>"$out" || status=$?

echo "run.sh: RSS run ($kinds)" >&2
timeout -k 30 150 "$work/loadgen" -sendguard-bin "$work/sendguard" -workdir "$work/rss" \
	-rss50m -rss-kinds "$kinds" -json-file "$rssjson" >>"$out" || status=$?

# One JSON file: the load report with the RSS results added.
if command -v python3 >/dev/null && [ -s "$json" ] && [ -s "$rssjson" ]; then
	python3 - "$json" "$rssjson" <<'EOF'
import json, sys
load, rss = (json.load(open(p)) for p in sys.argv[1:3])
load["rss"] = rss.get("rss", [])
load["failed"] = load.get("failed", False) or rss.get("failed", False)
json.dump(load, open(sys.argv[1], "w"), indent=2)
EOF
fi

echo >>"$out"
echo "# uptime at end: $(uptime)" >>"$out"
cat "$out"
echo "run.sh: wrote $out and $json (status $status)" >&2
exit "$status"
