#!/usr/bin/env bash
# Builds the attachment fixtures used by policy/encryption tests with real
# tools: Info-ZIP zip, 7-Zip (7zz, 7z or 7za), gzip, iconv. The outputs are
# committed next to this script; tests read them and never run the tools.
#
#   apt-get install -y zip 7zip        # Debian 12: 7-Zip's binary is 7zz
#   testdata/attachments/make.sh       # from any directory; safe to re-run
#
# Encryption headers and salts are random, so a re-run changes the bytes but
# not the properties the tests assert (format, protection, method, names,
# passwords). Hostile archives that no real tool writes (overlapping
# entries, local/central disagreement, truncation, concatenation) are built
# by the Go tests themselves from the APPNOTE layout.
#
# Passwords: "secret123" everywhere, except the Japanese-password fixtures
# ("パスワード"). 7-Zip refuses non-ASCII passwords for the ZIP format
# (E_INVALIDARG), so those two are made with Info-ZIP: once with the UTF-8
# bytes, once with the CP932 bytes a Japanese Windows zip tool would use.
set -euo pipefail

out=$(cd "$(dirname "$0")" && pwd)
export LC_ALL=C.UTF-8 TZ=UTC
sevenz=$(command -v 7zz || command -v 7z || command -v 7za || true)
for tool in zip gzip iconv "$sevenz"; do
	if [[ -z $tool ]] || ! command -v "$tool" >/dev/null; then
		echo "make.sh: missing tool (${tool:-7-Zip}); apt-get install -y zip 7zip" >&2
		exit 1
	fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# Source files, with a fixed timestamp.
printf 'hello, world\n' >hello.txt
for i in $(seq 1 60); do printf 'line %02d: quarterly figures, confidential\n' "$i"; done >secret.txt
mkdir -p docs emptydir word
printf 'report\n' >docs/report.txt
printf '日本語のファイル名\n' >'日本語の資料.txt'
printf '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>\n' >'[Content_Types].xml'
printf '<w:document/>\n' >word/document.xml
find . -exec touch -d '2024-01-02 03:04:05' {} +

pw=secret123
z() { zip -q -X "$@"; }                       # Info-ZIP, no uid/gid extras
s7() { "$sevenz" a -bso0 -bsp0 "$@"; }        # 7-Zip, quiet
new() { rm -f "$out/$1"; }                    # every fixture is rebuilt from scratch

new plain.zip;          z "$out/plain.zip" hello.txt secret.txt
new zipcrypto.zip;      z -P "$pw" "$out/zipcrypto.zip" hello.txt secret.txt
new zipcrypto-7z.zip;   s7 -tzip -mem=ZipCrypto -p"$pw" "$out/zipcrypto-7z.zip" hello.txt secret.txt
new aes128.zip;         s7 -tzip -mem=AES128 -p"$pw" "$out/aes128.zip" hello.txt secret.txt
new aes192.zip;         s7 -tzip -mem=AES192 -p"$pw" "$out/aes192.zip" hello.txt secret.txt
new aes256.zip;         s7 -tzip -mem=AES256 -p"$pw" "$out/aes256.zip" hello.txt secret.txt

# One encrypted and one plain entry: zip twice into the same archive.
new mixed.zip;          z -P "$pw" "$out/mixed.zip" secret.txt; z "$out/mixed.zip" hello.txt
# ZipCrypto and AES-128 entries in one archive (7-Zip keeps existing items).
new mixed-methods.zip
s7 -tzip -mem=ZipCrypto -p"$pw" "$out/mixed-methods.zip" hello.txt
s7 -tzip -mem=AES128 -p"$pw" "$out/mixed-methods.zip" secret.txt

# A plain directory entry "docs/" beside an encrypted file.
new dir-encrypted.zip;  z -r -P "$pw" "$out/dir-encrypted.zip" docs
# Only a directory: nothing to protect.
new dir-only.zip;       z -r "$out/dir-only.zip" emptydir
# An empty archive (22-byte end record only).
new empty.zip;          z "$out/empty.zip" hello.txt; zip -q -d "$out/empty.zip" hello.txt 2>/dev/null || true

# Archives in a plain archive.
cp "$out/zipcrypto.zip" inner-encrypted.zip
cp "$out/plain.zip" inner-plain.zip
touch -d '2024-01-02 03:04:05' inner-encrypted.zip inner-plain.zip
new nested-encrypted.zip; z "$out/nested-encrypted.zip" inner-encrypted.zip
# Deflated (-n: no suffix is exempt from compression), to exercise inflating.
new nested-plain.zip;     z -n .none "$out/nested-plain.zip" inner-plain.zip

# A Japanese (UTF-8) entry name, encrypted.
new japanese-name.zip;  z -P "$pw" "$out/japanese-name.zip" '日本語の資料.txt'
# Streamed to a pipe: local headers carry no CRC/sizes, a data descriptor
# follows the data (flag bit 3), the check byte is the time's high byte.
new streamed.zip;       z -P "$pw" - hello.txt secret.txt | cat >"$out/streamed.zip"
# Input from a pipe too: Info-ZIP adds zip64 records (end record, locator,
# 64-bit data descriptor) although nothing is large. The entry is named "-".
new stdin.zip;          printf 'typed into a pipe\n' | z -P "$pw" - - >"$out/stdin.zip"

# Japanese password, as UTF-8 bytes and as CP932 bytes.
jpw='パスワード'
new jp-password-utf8.zip;  z -P "$jpw" "$out/jp-password-utf8.zip" hello.txt
new jp-password-cp932.zip; z -P "$(printf '%s' "$jpw" | iconv -f UTF-8 -t CP932)" "$out/jp-password-cp932.zip" hello.txt

# A DOCX-shaped ZIP: Inspect reports FormatOOXML.
new document.docx;      z -D "$out/document.docx" '[Content_Types].xml' word/document.xml

# Other formats, for identification only.
new encrypted.7z;       s7 -t7z -mhe=on -p"$pw" "$out/encrypted.7z" hello.txt
new hello.txt.gz;       gzip -n -c hello.txt >"$out/hello.txt.gz"

echo "make.sh: fixtures written to $out"
