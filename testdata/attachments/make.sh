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

# ---- BEGIN 7z, PGP, S/MIME (policy/encryption/sevenzip.go, pgp.go, smime.go) ----
# Needs 7-Zip, gpg and openssl. The OpenPGP key and the S/MIME certificate
# are throwaway ones made here in $work and never kept. RAR fixtures are not
# made here: no free tool writes RAR, so rar_test.go builds them from the
# RAR 4 and RAR 5 format documents.
for tool in gpg openssl; do
	command -v "$tool" >/dev/null || { echo "make.sh: missing tool $tool; apt-get install -y gnupg openssl" >&2; exit 1; }
done
printf '' >empty.txt
touch -d '2024-01-02 03:04:05' empty.txt

# 7z: AES-256 with file names visible, with encrypted headers (-mhe=on), plain.
new 7z-aes.7z;          s7 -t7z -p"$pw" "$out/7z-aes.7z" hello.txt secret.txt
new 7z-aes-mhe.7z;      s7 -t7z -mhe=on -p"$pw" "$out/7z-aes-mhe.7z" hello.txt secret.txt
new 7z-plain.7z;        s7 -t7z "$out/7z-plain.7z" hello.txt secret.txt
# A plain folder and an encrypted one: 7-Zip keeps the old folder on update.
new 7z-mixed.7z;        s7 -t7z "$out/7z-mixed.7z" hello.txt; s7 -t7z -p"$pw" "$out/7z-mixed.7z" secret.txt
# Other coder pipelines under 7zAES: LZMA, Copy, BCJ+LZMA2, BCJ2 (four AES coders).
new 7z-aes-lzma.7z;     s7 -t7z -m0=LZMA -p"$pw" "$out/7z-aes-lzma.7z" hello.txt secret.txt
new 7z-aes-copy.7z;     s7 -t7z -m0=Copy -p"$pw" "$out/7z-aes-copy.7z" hello.txt secret.txt
new 7z-aes-bcj.7z;      s7 -t7z -mf=BCJ -p"$pw" "$out/7z-aes-bcj.7z" hello.txt secret.txt
new 7z-aes-bcj2.7z
s7 -t7z -m0=BCJ2 -m1=LZMA -m2=LZMA -m3=LZMA -mb0:1 -mb0s1:2 -mb0s2:3 -p"$pw" "$out/7z-aes-bcj2.7z" hello.txt
# Directories and an empty file have no data to encrypt.
new 7z-aes-dirs.7z;     s7 -t7z -p"$pw" "$out/7z-aes-dirs.7z" docs emptydir empty.txt
# A plain 7z holding an encrypted ZIP (nested inspection).
new 7z-nested.7z;       s7 -t7z "$out/7z-nested.7z" inner-encrypted.zip
# A Japanese password: 7zAES hashes UTF-16LE, whatever the locale.
new 7z-jp-password.7z;  s7 -t7z -p"$jpw" "$out/7z-jp-password.7z" hello.txt

# OpenPGP: gpg -c binary (AES-256) and armored (AES-128), encrypted to a
# throwaway key, and three texts that are not encrypted: clearsigned,
# signed-only (a "BEGIN PGP MESSAGE" block!) and a detached signature.
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg -q --batch --passphrase '' --quick-gen-key 'Sendguard Test <test@example.invalid>' future-default default never 2>/dev/null
g() { gpg -q --batch --yes "$@"; }
new pgp-symmetric.gpg;   g --pinentry-mode loopback --passphrase "$pw" --symmetric --cipher-algo AES256 -o "$out/pgp-symmetric.gpg" secret.txt
new pgp-symmetric.asc;   g --pinentry-mode loopback --passphrase "$pw" --symmetric --cipher-algo AES128 --armor -o "$out/pgp-symmetric.asc" secret.txt
new pgp-pubkey.gpg;      g --trust-model always -r test@example.invalid --encrypt -o "$out/pgp-pubkey.gpg" secret.txt
new pgp-clearsigned.asc; g --clearsign -o "$out/pgp-clearsigned.asc" hello.txt
new pgp-signed.asc;      g --sign --armor -o "$out/pgp-signed.asc" hello.txt
new pgp-signature.asc;   g --detach-sign --armor -o "$out/pgp-signature.asc" hello.txt

# S/MIME (CMS) files as attached .p7m: enveloped (DER; BER with indefinite
# lengths from -stream; PEM), authEnveloped (AES-256-GCM), and signed-only
# (DER and BER), once over a text and once over an encrypted ZIP.
openssl req -x509 -newkey rsa:2048 -nodes -keyout smime-key.pem -out smime-cert.pem \
	-subj '/CN=Sendguard Test' -days 3650 2>/dev/null
sm() { openssl smime "$@"; }
new smime-enveloped.p7m;     sm -encrypt -aes256 -binary -outform DER -in secret.txt -out "$out/smime-enveloped.p7m" smime-cert.pem
new smime-enveloped-ber.p7m; sm -encrypt -aes256 -binary -stream -outform DER -in secret.txt -out "$out/smime-enveloped-ber.p7m" smime-cert.pem
new smime-enveloped.pem;     sm -encrypt -aes128 -binary -outform PEM -in secret.txt -out "$out/smime-enveloped.pem" smime-cert.pem
new smime-authenveloped.p7m
openssl cms -encrypt -aes-256-gcm -binary -outform DER -in secret.txt -out "$out/smime-authenveloped.p7m" smime-cert.pem
signed() { sm -sign -binary -nodetach -signer smime-cert.pem -inkey smime-key.pem "$@"; }
new smime-signed.p7m;        signed -outform DER -in hello.txt -out "$out/smime-signed.p7m"
new smime-signed-ber.p7m;    signed -stream -outform DER -in hello.txt -out "$out/smime-signed-ber.p7m"
new smime-signed-zip.p7m;    signed -outform DER -in inner-encrypted.zip -out "$out/smime-signed-zip.p7m"
# ---- END 7z, PGP, S/MIME ----

# ---- BEGIN PDF, Office (policy/encryption/pdf.go, office.go, cfb.go) ----
# Needs qpdf, LibreOffice with its Python UNO bridge (Debian's python3-uno,
# run with /usr/bin/python3), python3, and Node with npm: officecrypto-tool
# 0.0.19 is installed into $work from the npm registry to encrypt OOXML.
#   apt-get install -y qpdf libreoffice-writer-nogui libreoffice-calc-nogui \
#     libreoffice-impress-nogui python3-uno nodejs npm
# Passwords: user "secret123" ($pw), owner "owner456" ($opw).
# No tool here writes RC4 CryptoAPI .doc/.xls/.ppt, an encrypted .ppt, XOR
# obfuscation, certificate-only or Extensible OOXML, nor hostile files:
# office_test.go and pdf_test.go build those from [MS-CFB]/[MS-OFFCRYPTO]
# and ISO 32000, and check what they build against these real files.
unopy=/usr/bin/python3
for tool in qpdf soffice node npm perl "$unopy"; do
	command -v "$tool" >/dev/null || { echo "make.sh: missing tool $tool (see the PDF/Office section)" >&2; exit 1; }
done
"$unopy" -c 'import uno' 2>/dev/null || { echo "make.sh: $unopy cannot import uno; apt-get install -y python3-uno" >&2; exit 1; }
opw=owner456
lo_profile="$work/lo-profile"
soff() { soffice -env:UserInstallation="file://$lo_profile" --headless "$@" >/dev/null 2>&1; }

# PDF: a one-page document written by hand; qpdf adds the cross-reference
# table (it warns that there was none) and writes "trailer << ... >>" on
# one line.
cat >tiny.pdf <<'PDF'
%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R
  /Resources << /Font << /F1 5 0 R >> >> >> endobj
4 0 obj << /Length 43 >> stream
BT /F1 12 Tf 20 50 Td (confidential) Tj ET
endstream endobj
5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj
trailer << /Size 6 /Root 1 0 R >>
%%EOF
PDF
new pdf-plain.pdf;               qpdf --warning-exit-0 tiny.pdf "$out/pdf-plain.pdf" 2>/dev/null
src="$out/pdf-plain.pdf"
qe() { qpdf --allow-weak-crypto "$@"; }     # RC4 and R5 are refused without it
# Standard security handler, each revision: R6 AES-256, R6 with an empty
# user password (opens without one: permissions only), R4 AES-128, R3
# RC4-128, R2 RC4-40, and Acrobat IX's deprecated R5.
new pdf-aes256.pdf;              qpdf --encrypt "$pw" "$opw" 256 -- "$src" "$out/pdf-aes256.pdf"
new pdf-owner-only.pdf;          qpdf --encrypt "" "$opw" 256 -- "$src" "$out/pdf-owner-only.pdf"
new pdf-aes128.pdf;              qpdf --encrypt "$pw" "$opw" 128 --use-aes=y -- "$src" "$out/pdf-aes128.pdf"
new pdf-rc4-128.pdf;             qe --encrypt "$pw" "$opw" 128 --use-aes=n -- "$src" "$out/pdf-rc4-128.pdf"
new pdf-rc4-40.pdf;              qe --encrypt "$pw" "$opw" 40 -- "$src" "$out/pdf-rc4-40.pdf"
new pdf-aes256-r5.pdf;           qe --encrypt "$pw" "$opw" 256 --force-R5 -- "$src" "$out/pdf-aes256-r5.pdf"
# The same with a cross-reference stream (its dictionary is the trailer).
new pdf-aes256-xref.pdf;         qpdf --object-streams=generate --encrypt "$pw" "$opw" 256 -- "$src" "$out/pdf-aes256-xref.pdf"
new pdf-owner-only-xref.pdf;     qpdf --object-streams=generate --encrypt "" "$opw" 256 -- "$src" "$out/pdf-owner-only-xref.pdf"
new pdf-aes128-xref.pdf;         qpdf --object-streams=generate --encrypt "$pw" "$opw" 128 --use-aes=y -- "$src" "$out/pdf-aes128-xref.pdf"
new pdf-rc4-128-xref.pdf;        qe --object-streams=generate --encrypt "$pw" "$opw" 128 --use-aes=n -- "$src" "$out/pdf-rc4-128-xref.pdf"
new pdf-rc4-40-xref.pdf;         qe --object-streams=generate --encrypt "$pw" "$opw" 40 -- "$src" "$out/pdf-rc4-40-xref.pdf"
new pdf-aes256-r5-xref.pdf;      qe --object-streams=generate --encrypt "$pw" "$opw" 256 --force-R5 -- "$src" "$out/pdf-aes256-r5-xref.pdf"
# Linearized: a first-page trailer at the start and the main one at the end.
new pdf-aes256-linearized.pdf;   qpdf --linearize --encrypt "$pw" "$opw" 256 -- "$src" "$out/pdf-aes256-linearized.pdf"
# The "trailer" keyword on its own line (Acrobat's and LibreOffice's layout):
# the trailer follows the xref table, so no offset moves.
new pdf-aes256-trailer-nl.pdf;   perl -pe 's/^trailer << /trailer\n<< /' "$out/pdf-aes256.pdf" >"$out/pdf-aes256-trailer-nl.pdf"
# An incremental update: a new object, xref section and trailer (/Prev)
# appended to an encrypted file, as a PDF editor saves in place.
new pdf-aes128-incremental.pdf
python3 - "$out/pdf-aes128.pdf" "$out/pdf-aes128-incremental.pdf" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
prev = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
trailer = re.findall(rb"trailer\s*<<(.*?)>>\s*startxref", data, re.S)[-1]
size = int(re.search(rb"/Size (\d+)", trailer).group(1))
found = [re.search(p, trailer) for p in
         (rb"/Root \d+ \d+ R", rb"/Encrypt \d+ \d+ R", rb"/ID \[<\w+> ?<\w+>\]", rb"/Info \d+ \d+ R")]
assert all(found[:3]), "make.sh: no /Root, /Encrypt or /ID in the trailer"
keep = b" ".join(m.group(0) for m in found if m)
if not data.endswith(b"\n"):
    data += b"\n"
obj = len(data)
data += b"%d 0 obj\n<< /Type /SendguardRevision /N 2 >>\nendobj\n" % size
xref = len(data)
data += b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (size, obj)
data += b"trailer\n<< /Size %d %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (size + 1, keep, prev, xref)
open(sys.argv[2], "wb").write(data)
PY
qpdf --check --password="$pw" "$out/pdf-aes128-incremental.pdf" >/dev/null
# LibreOffice's own PDF export: "trailer" on its own line, binary /O and /U
# as literal strings; RC4-128 (R3) with an open password, and without one.
lopdf() { mkdir -p "$work/lopdf"; soff --convert-to "pdf:writer_pdf_Export:$1" --outdir "$work/lopdf" secret.txt; mv "$work/lopdf/secret.pdf" "$out/$2"; }
new pdf-lo-plain.pdf;            lopdf '{}' pdf-lo-plain.pdf
new pdf-lo-rc4-128.pdf;          lopdf '{"EncryptFile":{"type":"boolean","value":"true"},"DocumentOpenPassword":{"type":"string","value":"'"$pw"'"},"PermissionPassword":{"type":"string","value":"'"$opw"'"}}' pdf-lo-rc4-128.pdf
new pdf-lo-owner-only.pdf;       lopdf '{"EncryptFile":{"type":"boolean","value":"true"},"PermissionPassword":{"type":"string","value":"'"$opw"'"},"RestrictPermissions":{"type":"boolean","value":"true"},"Printing":{"type":"long","value":"0"}}' pdf-lo-owner-only.pdf

# Office from LibreOffice, through UNO: plain docx/xlsx/pptx and
# doc/xls/ppt; .doc and .xls with an open password (LibreOffice writes
# Office 97/2000 RC4, not RC4 CryptoAPI; it writes no encrypted .ppt); and
# an .xls whose workbook structure is protected without a password, which
# LibreOffice, like Excel, encrypts with the built-in "VelvetSweatshop".
for f in office-plain.doc office-rc4.doc office-plain.docx office-plain.xls office-rc4.xls \
	office-plain.xlsx office-velvet.xls office-plain.ppt office-plain.pptx; do new "$f"; done
"$unopy" - "$out" "$lo_profile" "$pw" <<'PY' 2>/dev/null
import os, subprocess, sys, time
import uno
from com.sun.star.beans import PropertyValue

def props(**kw):
    out = []
    for k, v in kw.items():
        p = PropertyValue()
        p.Name, p.Value = k, v
        out.append(p)
    return tuple(out)

out, profile, pw = sys.argv[1:4]
pipe = "sendguard-fixtures-%d" % os.getpid()
office = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore",
                           "-env:UserInstallation=" + uno.systemPathToFileUrl(profile),
                           "--accept=pipe,name=%s;urp;" % pipe])
desktop = None
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(600):
        try:
            ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
            break
        except Exception:
            time.sleep(0.1)
    else:
        sys.exit("make.sh: cannot connect to soffice")
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    new = lambda kind: desktop.loadComponentFromURL("private:factory/" + kind, "_blank", 0, props(Hidden=True))
    url = lambda name: uno.systemPathToFileUrl(os.path.join(out, name))

    w = new("swriter")
    w.Text.setString("hello, world\nconfidential quarterly figures\n")
    w.storeToURL(url("office-plain.doc"), props(FilterName="MS Word 97"))
    w.storeToURL(url("office-rc4.doc"), props(FilterName="MS Word 97", Password=pw))
    w.storeToURL(url("office-plain.docx"), props(FilterName="MS Word 2007 XML"))
    w.close(True)

    c = new("scalc")
    sheet = c.Sheets.getByIndex(0)
    sheet.getCellByPosition(0, 0).setString("confidential")
    sheet.getCellByPosition(1, 0).setValue(42)
    c.storeToURL(url("office-plain.xls"), props(FilterName="MS Excel 97"))
    c.storeToURL(url("office-rc4.xls"), props(FilterName="MS Excel 97", Password=pw))
    c.storeToURL(url("office-plain.xlsx"), props(FilterName="Calc MS Excel 2007 XML"))
    c.protect("")
    c.storeToURL(url("office-velvet.xls"), props(FilterName="MS Excel 97"))
    c.close(True)

    p = new("simpress")
    page = p.DrawPages.getByIndex(0)
    page.Width, page.Height = 2000, 1000  # 2 x 1 cm: the preview bitmap in a .ppt stays small
    shape = p.createInstance("com.sun.star.drawing.TextShape")
    page.add(shape)
    shape.setString("confidential")
    p.storeToURL(url("office-plain.ppt"), props(FilterName="MS PowerPoint 97"))
    p.storeToURL(url("office-plain.pptx"), props(FilterName="Impress MS PowerPoint 2007 XML"))
    p.close(True)
finally:
    if desktop is not None:
        try:
            desktop.terminate()
        except Exception:
            pass
    office.wait(timeout=60)
PY
for f in office-plain.doc office-rc4.doc office-plain.docx office-plain.xls office-rc4.xls \
	office-plain.xlsx office-velvet.xls office-plain.ppt office-plain.pptx; do
	[[ -s $out/$f ]] || { echo "make.sh: LibreOffice did not write $f" >&2; exit 1; }
done

# Encrypted OOXML with officecrypto-tool: Agile (AES-256, SHA-512, 100000
# spins) for docx/xlsx/pptx, Standard (AES-128) for docx/xlsx, and an xlsx
# encrypted with "VelvetSweatshop" (Excel opens it without asking).
mkdir -p "$work/npm"
npm install --prefix "$work/npm" --no-audit --no-fund --silent officecrypto-tool@0.0.19 >/dev/null
cat >"$work/npm/enc.js" <<'JS'
const oc = require('officecrypto-tool'); const fs = require('fs');
const [input, output, password, type] = process.argv.slice(2);
fs.writeFileSync(output, oc.encrypt(fs.readFileSync(input), type ? {password, type} : {password}));
JS
oce() { node "$work/npm/enc.js" "$@"; }
new office-agile.docx;           oce "$out/office-plain.docx" "$out/office-agile.docx" "$pw"
new office-agile.xlsx;           oce "$out/office-plain.xlsx" "$out/office-agile.xlsx" "$pw"
new office-agile.pptx;           oce "$out/office-plain.pptx" "$out/office-agile.pptx" "$pw"
new office-standard.docx;        oce "$out/office-plain.docx" "$out/office-standard.docx" "$pw" standard
new office-standard.xlsx;        oce "$out/office-plain.xlsx" "$out/office-standard.xlsx" "$pw" standard
new office-velvet.xlsx;          oce "$out/office-plain.xlsx" "$out/office-velvet.xlsx" VelvetSweatshop
# ---- END PDF, Office ----

echo "make.sh: fixtures written to $out"
