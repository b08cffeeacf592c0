#!/usr/bin/env bash
# Builds the fixtures for parts a policy may exempt from encryption
# (policy/encryption/exempt.go): real detached signatures, public keys,
# invitations and contact cards, and the look-alikes that must not be
# exempt. Tools: openssl, gpg, python3 (for a PNG photo and base64). The
# outputs are committed next to this script; tests never run the tools.
#
#   apt-get install -y openssl gnupg python3
#   testdata/attachments/make-exempt.sh
#
# Signatures and keys are random per run; the properties tests assert
# (detached or not, packet types, structure) are not.
set -euo pipefail

out=$(cd "$(dirname "$0")" && pwd)
export LC_ALL=C.UTF-8 TZ=UTC
for tool in openssl gpg python3; do
	command -v "$tool" >/dev/null || { echo "make-exempt.sh: missing tool $tool" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export GNUPGHOME=$work/gnupg
mkdir -m 700 "$GNUPGHOME"

printf 'お世話になっております。\r\n資料をお送りします。\r\n' >body.txt

# S/MIME: a detached signature (DER and PEM) as Outlook and Thunderbird
# attach it (smime.p7s), and an attached one (it carries the content).
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 3650 \
	-subj "/CN=Sendguard Test/emailAddress=alice@example.co.jp" 2>/dev/null
openssl cms -sign -binary -signer cert.pem -inkey key.pem -in body.txt -outform DER -out "$out/exempt-smime-detached.p7s"
openssl cms -sign -binary -signer cert.pem -inkey key.pem -in body.txt -outform PEM -out "$out/exempt-smime-detached.pem"
openssl cms -sign -binary -nodetach -signer cert.pem -inkey key.pem -in body.txt -outform DER -out "$out/exempt-smime-attached.p7s"

# OpenPGP: a detached armored signature, a public key (armored and
# binary), and a secret key (never exempt).
gpg -q --batch --passphrase '' --quick-gen-key 'Alice <alice@example.co.jp>' future-default default never 2>/dev/null
gpg -q --batch --yes --armor --detach-sign -o "$out/exempt-pgp-signature.asc" body.txt
gpg -q --batch --yes --armor --export -o "$out/exempt-pgp-pubkey.asc" alice@example.co.jp
gpg -q --batch --yes --export -o "$out/exempt-pgp-pubkey.gpg" alice@example.co.jp
gpg -q --batch --yes --armor --pinentry-mode loopback --passphrase '' --export-secret-keys -o "$out/exempt-pgp-secret.asc" alice@example.co.jp

# A small PNG for the vCard photo and the inline-image tests (python3:
# zlib, struct).
python3 - <<'PY' >photo.b64
import base64, struct, zlib
w, h = 8, 8
raw = b"".join(b"\x00" + b"".join(bytes((x * 30, y * 30, 120)) for x in range(w)) for y in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
print(base64.b64encode(png).decode())
PY
base64 -d photo.b64 >"$out/photo.png"

# iCalendar: an Outlook-style invitation (UTF-8, folded lines, Japanese).
cat >"$out/exempt-invite.ics" <<'ICS'
BEGIN:VCALENDAR
METHOD:REQUEST
PRODID:Microsoft Exchange Server 2010
VERSION:2.0
BEGIN:VTIMEZONE
TZID:Tokyo Standard Time
BEGIN:STANDARD
DTSTART:16010101T000000
TZOFFSETFROM:+0900
TZOFFSETTO:+0900
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
ORGANIZER;CN=佐藤 花子:mailto:hanako@example.co.jp
ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN="Bob (Partner)":mailto:bob@partner.example.com
DESCRIPTION;LANGUAGE=ja-JP:打ち合わせの件\, よろしくお願いいたします。\n\nTeams 会議
 のリンクは別途お送りします。
UID:040000008200E00074C5B7101A82E00800000000A0B1C2D3E4F5
SUMMARY;LANGUAGE=ja-JP:定例会議
DTSTART;TZID=Tokyo Standard Time:20261210T100000
DTEND;TZID=Tokyo Standard Time:20261210T110000
LOCATION;LANGUAGE=ja-JP:会議室A
X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:REMINDER
TRIGGER;RELATED=START:-PT15M
END:VALARM
END:VEVENT
END:VCALENDAR
ICS

# The same invitation carrying a file inline (ATTACH;VALUE=BINARY): not
# exempt — it is a file in a calendar's clothing.
zipb64=$(printf 'name,phone\nYamada,090-0000-0000\n' | python3 -c 'import sys,zipfile,io,base64
b=io.BytesIO(); z=zipfile.ZipFile(b,"w"); z.writestr("meibo.csv", sys.stdin.read()); z.close(); print(base64.b64encode(b.getvalue()).decode())')
python3 - "$out/exempt-invite.ics" "$zipb64" >"$out/exempt-invite-attach.ics" <<'PY'
import sys
ics, b64 = open(sys.argv[1]).read(), sys.argv[2]
line = "ATTACH;FMTTYPE=application/zip;ENCODING=BASE64;VALUE=BINARY;X-FILENAME=meibo.zip:" + b64
folded = line[:75] + "".join("\n " + line[i:i+74] for i in range(75, len(line), 74))
sys.stdout.write(ics.replace("LOCATION;", folded + "\nLOCATION;", 1))
PY

# vCards: one contact with a photo (vCard 3.0), one in 2.1 with
# quoted-printable, and an address book of many (not exempt).
{
	printf 'BEGIN:VCARD\r\nVERSION:3.0\r\nN:佐藤;花子;;;\r\nFN:佐藤 花子\r\nORG:Example Co.\\, Ltd.\r\nTEL;TYPE=WORK,VOICE:03-1234-5678\r\nEMAIL;TYPE=INTERNET:hanako@example.co.jp\r\n'
	printf 'PHOTO;ENCODING=b;TYPE=PNG:%s\r\n' "$(cat photo.b64)"
	printf 'END:VCARD\r\n'
} >"$out/exempt-contact.vcf"
printf 'BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E4=BD=90=E8=97=A4;=E8=8A=B1=\r\n=E5=AD=90\r\nTEL;WORK:03-1234-5678\r\nEND:VCARD\r\n' >"$out/exempt-contact-21.vcf"
for i in $(seq 1 20); do
	printf 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:顧客 %02d\r\nTEL;TYPE=CELL:090-0000-%04d\r\nEND:VCARD\r\n' "$i" "$i"
done >"$out/exempt-addressbook.vcf"
{
	printf 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Attacker\r\n'
	printf 'KEY;ENCODING=b:%s\r\n' "$zipb64"
	printf 'END:VCARD\r\n'
} >"$out/exempt-contact-key-zip.vcf"
echo "make-exempt.sh: wrote exempt-* fixtures to $out"
