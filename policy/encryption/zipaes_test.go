package encryption

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha1"
	"testing"
)

// aesVerifier computes single PBKDF2 blocks; it must match the standard
// library's full derivation.
func TestAESVerifierMatchesPBKDF2(t *testing.T) {
	for _, strength := range []byte{1, 2, 3} {
		keyLen := aesKeyLen(strength)
		salt := bytes.Repeat([]byte{strength}, aesSaltLen(strength))
		for _, pw := range []string{"", "secret123", "パスワード"} {
			dk, err := pbkdf2.Key(sha1.New, pw, salt, aesIterations, 2*keyLen+aesVerifierLen)
			if err != nil {
				t.Fatal(err)
			}
			got := aesVerifier([]byte(pw), salt, keyLen)
			if !bytes.Equal(got[:], dk[2*keyLen:]) {
				t.Errorf("strength %d, %q: verifier %x, want %x", strength, pw, got, dk[2*keyLen:])
			}
		}
	}
}

// A wrong password whose verifier happens to match (1 in 65536) is
// rejected by the authentication code.
func TestAESVerifyRejectsWrongPassword(t *testing.T) {
	b := fixture(t, "aes256.zip")
	c, err := NewZipPasswordChecker(bytes.NewReader(b), int64(len(b)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	tg := c.targets[0]
	keyLen := aesKeyLen(tg.enc.strength)
	off := tg.dataOff + int64(len(tg.salt)+aesVerifierLen)
	n := tg.csize - int64(len(tg.salt)+aesVerifierLen+aesMACLen)
	for pw, want := range map[string]bool{"secret123": true, "secret124": false} {
		if ok, err := aesVerify(bytes.NewReader(b), []byte(pw), tg.salt, keyLen, off, n); ok != want || err != nil {
			t.Errorf("%q: ok %v err %v, want %v", pw, ok, err, want)
		}
	}
}

func TestPasswordEncodings(t *testing.T) {
	if got := passwordEncodings("secret"); len(got) != 1 {
		t.Errorf("ASCII: %q", got)
	}
	got := passwordEncodings("パスワード")
	if len(got) != 2 || !bytes.Equal(got[1], []byte{0x83, 0x70, 0x83, 0x58, 0x83, 0x8f, 0x81, 0x5b, 0x83, 0x68}) {
		t.Errorf("Japanese: %x", got)
	}
	if got := passwordEncodings("😀"); len(got) != 1 { // not in CP932
		t.Errorf("emoji: %q", got)
	}
}
