//go:build ignore

package main

// Part of make.go (go run testdata/messages/make*.go): the messages, by
// file name.

import (
	"bytes"
	"fmt"
	"strings"
)

// ---- the messages ----

const date = "Date: Tue, 21 May 2024 10:15:00 +0900\n"

func fixtures() map[string]string {
	m := map[string]string{}
	zipMemo := tinyZip("memo.txt", "sendguard test file\n")

	// Outlook 2016 (ja): ISO-2022-JP body, file name as an RFC 2047 word
	// inside quotes on both name= and filename=.
	m["outlook-iso2022jp-quoted-word.eml"] = `From: ` + wordJIS("佐藤 アリス") + ` <alice@example.co.jp>
To: ` + wordJIS("鈴木 一郎") + ` <bob@partner.example.com>
Cc: "Sales" <sales@example.co.jp>
Subject: ` + wordJIS("お見積りの件") + `
` + date + `Message-ID: <000001da8a86$612225d8$e08afefb$@example.co.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed;
	boundary="----=_NextPart_000_0001_01DAAC40.EEE0C629"
X-Mailer: Microsoft Outlook 16.0
Content-Language: ja

This is a multipart message in MIME format.

------=_NextPart_000_0001_01DAAC40.EEE0C629
Content-Type: text/plain;
	charset="iso-2022-jp"
Content-Transfer-Encoding: 7bit

` + jis("鈴木様\n\nいつもお世話になっております。\nお見積書を添付いたします。\n") + `
------=_NextPart_000_0001_01DAAC40.EEE0C629
Content-Type: application/x-zip-compressed;
	name="` + wordJIS("見積書.zip") + `"
Content-Transfer-Encoding: base64
Content-Disposition: attachment;
	filename="` + wordJIS("見積書.zip") + `"

` + b64(zipMemo) + `
------=_NextPart_000_0001_01DAAC40.EEE0C629--
`

	// Thunderbird: RFC 2231 UTF-8 names, a long one split in continuations.
	long := "令和六年度第一四半期営業報告書（最終版・社外秘）.pdf"
	lp := pct(long)
	lcut := strings.LastIndexByte(lp[:len(lp)/2], '%') // split between escapes, as Thunderbird does
	m["thunderbird-rfc2231-utf8.eml"] = `From: Alice Sato <alice@example.co.jp>
To: bob@partner.example.com
Subject: ` + wordUTF8("報告書の送付") + `
` + date + `Message-ID: <3f1c2a7e-5b1d-4c8e-9a1e-2b7d9c0e1f00@example.co.jp>
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Content-Language: ja
Content-Type: multipart/mixed; boundary="------------7B0C1D2E3F4A5B6C7D8E9F00"

This is a multi-part message in MIME format.
--------------7B0C1D2E3F4A5B6C7D8E9F00
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 8bit

鈴木様

報告書を送付します。ご確認ください。

--------------7B0C1D2E3F4A5B6C7D8E9F00
Content-Type: application/pdf; name="=?UTF-8?B?6KuL5rGC5pu4LnBkZg==?="
Content-Disposition: attachment; filename*=UTF-8''` + pct("請求書.pdf") + `
Content-Transfer-Encoding: base64

` + b64(attachment("pdf-plain.pdf")) + `--------------7B0C1D2E3F4A5B6C7D8E9F00
Content-Type: application/pdf
Content-Disposition: attachment;
 filename*0*=UTF-8''` + lp[:lcut] + `;
 filename*1*=` + lp[lcut:] + `
Content-Transfer-Encoding: base64

` + b64(attachment("pdf-plain.pdf")) + `
--------------7B0C1D2E3F4A5B6C7D8E9F00--
`

	// Becky!: Shift_JIS 8-bit body; RFC 2231 names in ISO-2022-JP and
	// Shift_JIS (continuations), which go-message's Filename() drops.
	sj := pct(sjis("打合せ議事録_第3回.docx"))
	scut := strings.LastIndexByte(sj[:len(sj)/2], '%')
	m["becky-sjis-rfc2231-jis.eml"] = `From: =?ISO-2022-JP?B?GyRCOjRGIxsoQg==?= <alice@example.co.jp>
To: bob@partner.example.com
Subject: ` + wordJIS("議事録") + `
` + date + `Message-Id: <20240521101500.1A2B.4A0E7CF9@example.co.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="------_664C1A2B00000000ABCD_MULTIPART_MIXED_"
Content-Transfer-Encoding: 7bit
X-Mailer: Becky! ver. 2.81.04 [ja]

--------_664C1A2B00000000ABCD_MULTIPART_MIXED_
Content-Type: text/plain; charset="Shift_JIS"
Content-Transfer-Encoding: 8bit

` + sjis("鈴木様\n\n先日の打合せの議事録をお送りします。\n") + `
--------_664C1A2B00000000ABCD_MULTIPART_MIXED_
Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
Content-Disposition: attachment;
 filename*=iso-2022-jp'ja'` + pct(jis("予算表.xlsx")) + `
Content-Transfer-Encoding: base64

` + b64(tinyZip("xl/workbook.xml", "<workbook/>")) + `
--------_664C1A2B00000000ABCD_MULTIPART_MIXED_
Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document
Content-Disposition: attachment;
 filename*0*=shift_jis'ja'` + sj[:scut] + `;
 filename*1*=` + sj[scut:] + `
Content-Transfer-Encoding: base64

` + b64(tinyZip("word/document.xml", "<document/>")) + `
--------_664C1A2B00000000ABCD_MULTIPART_MIXED_--
`

	// iPhone Mail: UTF-8, a photo inline with a name that no HTML shows.
	m["iphone-inline-image.eml"] = `Content-Type: multipart/mixed; boundary=Apple-Mail-1A2B3C4D-5E6F-7A8B-9C0D-1E2F3A4B5C6D
Content-Transfer-Encoding: 7bit
From: =?utf-8?B?5L2Q6Jek?= <alice@example.co.jp>
Mime-Version: 1.0 (1.0)
Subject: =?utf-8?B?54++5aC044Gu5YaZ55yf?=
Message-Id: <1A2B3C4D-5E6F-7A8B-9C0D-1E2F3A4B5C6D@example.co.jp>
` + date + `To: bob@partner.example.com
X-Mailer: iPhone Mail (21E236)

--Apple-Mail-1A2B3C4D-5E6F-7A8B-9C0D-1E2F3A4B5C6D
Content-Type: text/plain;
	charset=utf-8
Content-Transfer-Encoding: quoted-printable

` + qp("現場の写真を送ります。\n") + `
--Apple-Mail-1A2B3C4D-5E6F-7A8B-9C0D-1E2F3A4B5C6D
Content-Type: image/jpeg;
	name=IMG_0123.jpg;
	x-apple-part-url=5A6B7C8D-9E0F-1A2B-3C4D-5E6F7A8B9C0D
Content-Disposition: inline;
	filename=IMG_0123.jpg
Content-Transfer-Encoding: base64
Content-Id: <5A6B7C8D-9E0F-1A2B-3C4D-5E6F7A8B9C0D>

` + b64(jpegTiny) + `
--Apple-Mail-1A2B3C4D-5E6F-7A8B-9C0D-1E2F3A4B5C6D
Content-Type: text/plain;
	charset=utf-8
Content-Transfer-Encoding: quoted-printable

` + qp("\niPhoneから送信\n") + `--Apple-Mail-1A2B3C4D-5E6F-7A8B-9C0D-1E2F3A4B5C6D--
`

	// Gmail web: multipart/alternative + an attachment named with a UTF-8
	// RFC 2047 word.
	html := `<div dir="ltr"><div>鈴木様</div><div><br></div><div>契約書の案をお送りします。&amp;ご確認ください。</div><style>.x{color:red}</style><script>alert("x")</script></div>`
	m["gmail-alternative-attachment.eml"] = `MIME-Version: 1.0
` + date + `Message-ID: <CAFx=abc123def456@mail.gmail.com>
Subject: =?UTF-8?B?5aWR57SE5pu444Gu5qGI?=
From: Alice Sato <alice.sato@gmail.com>
To: bob@partner.example.com
Content-Type: multipart/mixed; boundary="000000000000a1b2c3d4e5f60718"

--000000000000a1b2c3d4e5f60718
Content-Type: multipart/alternative; boundary="000000000000a1b2c3d4e5f60716"

--000000000000a1b2c3d4e5f60716
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: base64

` + b64([]byte("鈴木様\n\n契約書の案をお送りします。&ご確認ください。\n")) + `
--000000000000a1b2c3d4e5f60716
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

` + qp(html) + `
--000000000000a1b2c3d4e5f60716--
--000000000000a1b2c3d4e5f60718
Content-Type: application/pdf; name="` + wordUTF8("契約書（案）.pdf") + `"
Content-Disposition: attachment; filename="` + wordUTF8("契約書（案）.pdf") + `"
Content-Transfer-Encoding: base64
X-Attachment-Id: f_lw1abc2d0
Content-ID: <f_lw1abc2d0>

` + b64(attachment("pdf-plain.pdf")) + `--000000000000a1b2c3d4e5f60718--
`

	// Outlook HTML mail with a logo shown via cid: and an Excel file.
	ohtml := `<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta http-equiv=Content-Type content="text/html; charset=iso-2022-jp"><style>p.MsoNormal {margin:0mm;} .hidden-style-text {}</style></head><body lang=JA><div class=WordSection1><p class=MsoNormal>` + "新サービスのご案内です。" + `</p><p class=MsoNormal><img width=120 height=40 src="cid:image001.png@01DA9A11.2C3E4F50" alt="logo"></p></div></body></html>`
	m["outlook-html-cid-logo.eml"] = `From: alice@example.co.jp
To: carol@client.example.jp
Subject: ` + wordJIS("新サービスのご案内") + `
` + date + `Message-ID: <000001da6993$a3a16d18$1a89a6ff$@example.co.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed;
	boundary="----=_NextPart_000_7224_01DAE1D5.ECBE409C"
X-Mailer: Microsoft Outlook 16.0

This is a multipart message in MIME format.

------=_NextPart_000_7224_01DAE1D5.ECBE409C
Content-Type: multipart/related;
	boundary="----=_NextPart_001_7225_01DAE1D5.ECBE409C";
	type="multipart/alternative"


------=_NextPart_001_7225_01DAE1D5.ECBE409C
Content-Type: multipart/alternative;
	boundary="----=_NextPart_002_7226_01DAE1D5.ECBE409C"


------=_NextPart_002_7226_01DAE1D5.ECBE409C
Content-Type: text/plain;
	charset="iso-2022-jp"
Content-Transfer-Encoding: 7bit

` + jis("新サービスのご案内です。\n") + `
------=_NextPart_002_7226_01DAE1D5.ECBE409C
Content-Type: text/html;
	charset="iso-2022-jp"
Content-Transfer-Encoding: quoted-printable

` + qp(jis(ohtml)) + `
------=_NextPart_002_7226_01DAE1D5.ECBE409C--

------=_NextPart_001_7225_01DAE1D5.ECBE409C
Content-Type: image/png;
	name="image001.png"
Content-Description: image001.png
Content-Disposition: inline;
	filename="image001.png"
Content-ID: <image001.png@01DA9A11.2C3E4F50>
Content-Transfer-Encoding: base64

` + b64(png1x1) + `
------=_NextPart_001_7225_01DAE1D5.ECBE409C--

------=_NextPart_000_7224_01DAE1D5.ECBE409C
Content-Type: application/vnd.ms-excel;
	name="=?iso-2022-jp?B?GyRCMEZGYhsoQi54bHM=?="
Content-Transfer-Encoding: base64
Content-Disposition: attachment;
	filename="=?iso-2022-jp?B?GyRCMEZGYhsoQi54bHM=?="

` + b64(attachment("office-plain.xls")) + `
------=_NextPart_000_7224_01DAE1D5.ECBE409C--
`

	// A forward as an attachment: message/rfc822 holding a mail with a file.
	inner := `From: =?ISO-2022-JP?B?GyRCOWJLaxsoQg==?= <carol@client.example.jp>
To: alice@example.co.jp
Subject: ` + wordJIS("打合せ資料") + `
Date: Mon, 20 May 2024 18:00:00 +0900
Message-ID: <inner-0001@client.example.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="inner-boundary-01"

--inner-boundary-01
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

` + jis("明日の打合せ資料です。\n") + `
--inner-boundary-01
Content-Type: application/zip; name="` + wordJIS("資料.zip") + `"
Content-Disposition: attachment; filename="` + wordJIS("資料.zip") + `"
Content-Transfer-Encoding: base64

` + b64(zipMemo) + `--inner-boundary-01--
`
	m["forward-rfc822.eml"] = `From: alice@example.co.jp
To: bob@partner.example.com
Subject: ` + wordJIS("転送：打合せ資料") + `
` + date + `Message-ID: <fwd-0001@example.co.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer-boundary-01"

--outer-boundary-01
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

` + jis("先方からのメールを転送します。\n") + `
--outer-boundary-01
Content-Type: message/rfc822; name="` + wordJIS("打合せ資料.eml") + `"
Content-Disposition: attachment; filename="` + wordJIS("打合せ資料.eml") + `"

` + inner + `
--outer-boundary-01--
`

	// Outlook with "Rich Text" format: the files are inside winmail.dat.
	tn := tnef([]tnefFile{
		{title: "MITSUM~1.PDF", longName: "見積書_2024年5月.pdf", mimeTag: "application/pdf", data: attachment("pdf-plain.pdf")},
		{title: "議事録.txt", data: []byte("TNEF two: plain text file\n")},
	})
	m["outlook-tnef-winmail.eml"] = `From: alice@example.co.jp
To: bob@partner.example.com
Subject: ` + wordJIS("資料送付") + `
` + date + `Message-ID: <000001da8a86$61222222$e08afefb$@example.co.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed;
	boundary="----=_NextPart_000_AB37_01DAAC40.EEE0C629"
X-Mailer: Microsoft Outlook 16.0

This is a multipart message in MIME format.

------=_NextPart_000_AB37_01DAAC40.EEE0C629
Content-Type: text/plain;
	charset="iso-2022-jp"
Content-Transfer-Encoding: 7bit

` + jis("資料を添付いたします。\n") + `
------=_NextPart_000_AB37_01DAAC40.EEE0C629
Content-Type: application/ms-tnef;
	name="winmail.dat"
Content-Transfer-Encoding: base64
Content-Disposition: attachment;
	filename="winmail.dat"

` + b64(tn) + `
------=_NextPart_000_AB37_01DAAC40.EEE0C629--
`

	// A uuencoded file inside a plain text body (old mailers, scripts).
	m["uuencode-in-body.eml"] = `From: alice@example.co.jp
To: bob@partner.example.com
Subject: report
` + date + `Message-ID: <uu-0001@example.co.jp>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

` + jis("報告書を送ります。\n\n") + uuencode("report.zip", zipMemo) + jis("\nよろしくお願いします。\n")

	// A part with Content-Transfer-Encoding x-uuencode (go-message's
	// mail.Reader stops at it).
	m["x-uuencode-part.eml"] = `From: alice@example.co.jp
To: bob@partner.example.com
Subject: data
` + date + `Message-ID: <xuu-0001@example.co.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="xuu-boundary"

--xuu-boundary
Content-Type: text/plain; charset=us-ascii

Data attached.
--xuu-boundary
Content-Type: application/octet-stream; name="data.bin"
Content-Disposition: attachment; filename="data.bin"
Content-Transfer-Encoding: x-uuencode

` + uuencode("data.bin", bytes.Repeat([]byte{0x00, 0x01, 0xFE, 0xFF, 'u', 'u'}, 20)) + `
--xuu-boundary--
`

	// Unencoded Shift_JIS file names (8-bit bytes in the header), as some
	// Windows mailers send; "表" ends in 0x5C, a backslash.
	m["raw-sjis-filename.eml"] = `From: alice@example.co.jp
To: bob@partner.example.com
Subject: schedule
` + date + `Message-ID: <sjis-0001@example.co.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="sjis-boundary"

--sjis-boundary
Content-Type: text/plain; charset=Shift_JIS
Content-Transfer-Encoding: 8bit

` + sjis("予定表を添付します。\n") + `
--sjis-boundary
Content-Type: application/vnd.ms-excel; name="` + sjis("予定表.xls") + `"
Content-Disposition: attachment; filename="` + sjis("予定表.xls") + `"
Content-Transfer-Encoding: base64

` + b64(attachment("office-plain.xls")) + `
--sjis-boundary
Content-Type: application/octet-stream; name=` + sjis("ソフト 一覧.csv") + `
Content-Disposition: attachment; filename=` + sjis("ソフト 一覧.csv") + `
Content-Transfer-Encoding: base64

` + b64([]byte(sjis("名前,版\nsendguard,1\n"))) + `
--sjis-boundary--
`

	// The final boundary is missing: what was read is kept, with a Problem.
	m["missing-final-boundary.eml"] = `From: alice@example.co.jp
To: bob@partner.example.com
Subject: cut
` + date + `Message-ID: <cut-0001@example.co.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="cut-boundary"

--cut-boundary
Content-Type: text/plain; charset=UTF-8

途中で切れたメールです。
--cut-boundary
Content-Type: application/zip; name="cut.zip"
Content-Disposition: attachment; filename="cut.zip"
Content-Transfer-Encoding: base64

` + b64(zipMemo)

	// An unknown Content-Transfer-Encoding.
	m["unknown-transfer-encoding.eml"] = `From: alice@example.co.jp
To: bob@partner.example.com
Subject: odd encoding
` + date + `Message-ID: <xfoo-0001@example.co.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="xfoo-boundary"

--xfoo-boundary
Content-Type: text/plain; charset=us-ascii

See the file.
--xfoo-boundary
Content-Type: application/octet-stream; name="odd.bin"
Content-Disposition: attachment; filename="odd.bin"
Content-Transfer-Encoding: x-foo

QWxsIHlvdXIgYmFzZSBhcmUgYmVsb25nIHRvIHVz
--xfoo-boundary--
`

	// 25 nested multiparts with a file at the bottom (default limit 20).
	var deep strings.Builder
	deep.WriteString(`From: alice@example.co.jp
To: bob@partner.example.com
Subject: deep
` + date + `Message-ID: <deep-0001@example.co.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="deep-0"

`)
	const levels = 25
	for i := 0; i < levels; i++ {
		fmt.Fprintf(&deep, "--deep-%d\nContent-Type: multipart/mixed; boundary=\"deep-%d\"\n\n", i, i+1)
	}
	fmt.Fprintf(&deep, "--deep-%d\nContent-Type: application/zip; name=\"deep.zip\"\nContent-Disposition: attachment; filename=\"deep.zip\"\nContent-Transfer-Encoding: base64\n\n%s--deep-%d--\n", levels, b64(zipMemo), levels)
	for i := levels - 1; i >= 0; i-- {
		fmt.Fprintf(&deep, "--deep-%d--\n", i)
	}
	m["deep-nesting.eml"] = deep.String()

	// A ZIP named .txt and declared text/plain: its bytes must be kept
	// exactly (not charset-converted) so content identification sees "PK".
	m["misleading-name-zip-as-txt.eml"] = `From: alice@example.co.jp
To: bob@partner.example.com
Subject: ` + wordJIS("議事録") + `
` + date + `Message-ID: <mislead-0001@example.co.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mislead-boundary"

--mislead-boundary
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

` + jis("議事録です。\n") + `
--mislead-boundary
Content-Type: text/plain; charset=ISO-2022-JP; name="` + wordJIS("議事録.txt") + `"
Content-Disposition: attachment; filename="` + wordJIS("議事録.txt") + `"
Content-Transfer-Encoding: base64

` + b64(zipMemo) + `
--mislead-boundary--
`

	// Corrupt base64 in an attachment.
	m["corrupt-base64.eml"] = `From: alice@example.co.jp
To: bob@partner.example.com
Subject: broken
` + date + `Message-ID: <b64-0001@example.co.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b64-boundary"

--b64-boundary
Content-Type: text/plain; charset=us-ascii

Broken file.
--b64-boundary
Content-Type: application/pdf; name="broken.pdf"
Content-Disposition: attachment; filename="broken.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK*** this is not base64 ***
--b64-boundary--
`

	// PGP/MIME encrypted message.
	m["pgp-mime-encrypted.eml"] = `From: alice@example.co.jp
To: bob@partner.example.com
Subject: ...
` + date + `Message-ID: <pgp-0001@example.co.jp>
MIME-Version: 1.0
Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="pgp-boundary"

This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)
--pgp-boundary
Content-Type: application/pgp-encrypted
Content-Description: PGP/MIME version identification

Version: 1

--pgp-boundary
Content-Type: application/octet-stream; name="encrypted.asc"
Content-Description: OpenPGP encrypted message
Content-Disposition: inline; filename="encrypted.asc"

-----BEGIN PGP MESSAGE-----

hF4DAAAAAAAAAAASAQdAfakefakefakefakefakefakefakefakefakefakefake
=abcd
-----END PGP MESSAGE-----

--pgp-boundary--
`

	// S/MIME enveloped (encrypted) message, Outlook style, without the
	// smime-type parameter: the walk reads the ContentInfo type.
	m["smime-enveloped.eml"] = `From: alice@example.co.jp
To: bob@partner.example.com
Subject: encrypted
` + date + `Message-ID: <smime-env-0001@example.co.jp>
MIME-Version: 1.0
Content-Type: application/x-pkcs7-mime; name="smime.p7m"
Content-Disposition: attachment; filename="smime.p7m"
Content-Transfer-Encoding: base64

` + b64(envelopedData())

	// S/MIME clear-signed (multipart/signed) message with an attachment.
	m["smime-multipart-signed.eml"] = `From: alice@example.co.jp
To: bob@partner.example.com
Subject: signed
` + date + `Message-ID: <smime-sig-0001@example.co.jp>
MIME-Version: 1.0
Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="sig-outer"

This is a cryptographically signed message in MIME format.

--sig-outer
Content-Type: multipart/mixed; boundary="sig-inner"

--sig-inner
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

署名付きのメールです。
--sig-inner
Content-Type: application/zip; name="signed.zip"
Content-Disposition: attachment; filename="signed.zip"
Content-Transfer-Encoding: base64

` + b64(zipMemo) + `--sig-inner--

--sig-outer
Content-Type: application/pkcs7-signature; name="smime.p7s"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="smime.p7s"
Content-Description: S/MIME Cryptographic Signature

` + b64(attachment("exempt-smime-detached.p7s")) + `
--sig-outer--
`

	// S/MIME opaque-signed: the MIME entity is inside the CMS blob.
	signedEntity := "Content-Type: multipart/mixed; boundary=\"opaque-inner\"\r\n\r\n--opaque-inner\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n不透明署名のメールです。\r\n--opaque-inner\r\nContent-Type: application/zip; name=\"opaque.zip\"\r\nContent-Disposition: attachment; filename=\"opaque.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + strings.ReplaceAll(b64(zipMemo), "\n", "\r\n") + "--opaque-inner--\r\n"
	m["smime-opaque-signed.eml"] = `From: alice@example.co.jp
To: bob@partner.example.com
Subject: opaque signed
` + date + `Message-ID: <smime-opq-0001@example.co.jp>
MIME-Version: 1.0
Content-Type: application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"
Content-Disposition: attachment; filename="smime.p7m"
Content-Transfer-Encoding: base64

` + b64(signedData([]byte(signedEntity)))

	// A meeting invitation: text/calendar is listed for the policy.
	m["calendar-invite.eml"] = `From: alice@example.co.jp
To: bob@partner.example.com
Subject: ` + wordUTF8("定例会議") + `
` + date + `Message-ID: <cal-0001@example.co.jp>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="cal-boundary"

--cal-boundary
Content-Type: text/plain; charset=UTF-8

定例会議のご案内です。
--cal-boundary
Content-Type: text/calendar; charset=UTF-8; method=REQUEST
Content-Transfer-Encoding: 8bit

BEGIN:VCALENDAR
METHOD:REQUEST
BEGIN:VEVENT
SUMMARY:定例会議
DTSTART:20240527T010000Z
END:VEVENT
END:VCALENDAR
--cal-boundary--
`
	return m
}
