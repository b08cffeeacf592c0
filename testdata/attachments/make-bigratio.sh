#!/usr/bin/env bash
# Builds protected ZIPs of a large, highly compressible file (a disk image
# of zeros): a declared compression ratio over 1000:1 on an *encrypted*
# entry is no bomb (it is never inflated beyond a password trial), so these
# must be judged protected, not unscannable (ZipCrypto with deflate, about
# 1030:1; AES-256 with bzip2, far more). Tools: Info-ZIP zip, 7-Zip.
#
#   apt-get install -y zip 7zip
#   testdata/attachments/make-bigratio.sh
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)
export LC_ALL=C.UTF-8 TZ=UTC
sevenz=$(command -v 7zz || command -v 7z || command -v 7za || true)
for tool in zip "$sevenz"; do
	command -v "$tool" >/dev/null || { echo "make-bigratio.sh: missing zip or 7-Zip" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
head -c $((200 << 20)) /dev/zero >disk.img
touch -d '2026-01-01 00:00:00' disk.img
rm -f "$out/bigratio-zipcrypto.zip" "$out/bigratio-aes256.zip"
zip -q -9 -P secret123 "$out/bigratio-zipcrypto.zip" disk.img
"$sevenz" a -bd -bso0 -tzip -mx=9 -mm=BZip2 -mem=AES256 -psecret123 "$out/bigratio-aes256.zip" disk.img
ls -l "$out"/bigratio-*.zip
