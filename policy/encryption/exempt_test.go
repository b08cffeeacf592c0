package encryption

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestCheckExempt: a part is exempt only when its bytes are what its
// label says (fixtures from testdata/attachments/make-exempt.sh and
// make.sh, relabelled).
func TestCheckExempt(t *testing.T) {
	cases := []struct {
		file, mediaType string
		want            string // "" = exempt, else a fragment of the reason
	}{
		{"exempt-smime-detached.p7s", "application/pkcs7-signature", ""},
		{"exempt-smime-detached.p7s", "application/x-pkcs7-signature", ""},
		{"exempt-smime-detached.pem", "application/pkcs7-signature", ""},
		{"exempt-smime-attached.p7s", "application/pkcs7-signature", "carries content"},
		{"smime-enveloped.p7m", "application/pkcs7-signature", "not signed data"},
		{"plain.zip", "application/pkcs7-signature", "not a CMS signature"},
		{"exempt-pgp-signature.asc", "application/pgp-signature", ""},
		{"exempt-pgp-pubkey.asc", "application/pgp-signature", "armor"},
		{"exempt-pgp-pubkey.asc", "application/pgp-keys", ""},
		{"exempt-pgp-pubkey.gpg", "application/pgp-keys", ""},
		{"exempt-pgp-secret.asc", "application/pgp-keys", "armor"},
		{"pgp-symmetric.gpg", "application/pgp-keys", "packet of type"},
		{"pgp-symmetric.asc", "application/pgp-keys", "armor"},
		{"plain.zip", "application/pgp-keys", "not OpenPGP"},
		{"exempt-invite.ics", "text/calendar", ""},
		{"exempt-invite.ics", "application/ics", ""},
		{"exempt-invite-attach.ics", "text/calendar", "ATTACH carries inline binary data"},
		{"exempt-contact.vcf", "text/vcard", ""},
		{"exempt-contact-21.vcf", "text/x-vcard", ""},
		{"exempt-addressbook.vcf", "text/vcard", "more than 5"},
		{"exempt-contact-key-zip.vcf", "text/vcard", "KEY carries inline binary data"},
		{"exempt-invite.ics", "text/vcard", "not BEGIN:VCARD"},
		{"plain.zip", "text/calendar", "binary"},
		{"office-plain.xlsx", "text/calendar", "binary"},
		{"pdf-plain.pdf", "text/vcard", "binary"},
		{"exempt-invite.ics", "image/png", "no content check"},
	}
	for _, c := range cases {
		b, err := os.ReadFile("../../testdata/attachments/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		got := CheckExempt(c.mediaType, bytes.NewReader(b), int64(len(b)))
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("%s as %s: %q, want %q", c.file, c.mediaType, got, c.want)
		}
	}
}

// TestCheckExemptLookalikes: text that imitates the formats.
func TestCheckExemptLookalikes(t *testing.T) {
	ics, err := os.ReadFile("../../testdata/attachments/exempt-invite.ics")
	if err != nil {
		t.Fatal(err)
	}
	csv := "氏名,電話,住所\r\n山田太郎,090-1234-5678,東京都千代田区\r\n"
	cases := []struct {
		name, mediaType, data, want string
	}{
		{"CSV as calendar", "text/calendar", csv, "not a content line"},
		{"CSV inside a calendar", "text/calendar", "BEGIN:VCALENDAR\r\n" + csv + "END:VCALENDAR\r\n", "not a content line"},
		{"CSV after the calendar", "text/calendar", string(ics) + csv, "not a content line"},
		{"a second calendar appended", "text/calendar", string(ics) + string(ics), "more than 1"},
		{"lines outside the object", "text/calendar", string(ics) + "X-DATA:" + csv, "outside"},
		{"unclosed", "text/calendar", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", "never closed"},
		{"NUL bytes", "text/calendar", "BEGIN:VCALENDAR\r\nX:\x00\r\nEND:VCALENDAR\r\n", "binary"},
		{"ZIP in a data: URI", "text/vcard", "BEGIN:VCARD\r\nVERSION:4.0\r\nPHOTO:data:image/png;base64,UEsDBBQAAAAIAA==\r\nEND:VCARD\r\n", "PHOTO is not a plain image"},
		{"empty", "text/calendar", "", "empty"},
	}
	for _, c := range cases {
		got := CheckExempt(c.mediaType, strings.NewReader(c.data), int64(len(c.data)))
		if !strings.Contains(got, c.want) || got == "" {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
