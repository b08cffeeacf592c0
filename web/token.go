package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// KeySize is the length of the signing key.
const KeySize = 32

// LoadOrCreateKey reads the signing key from path, or creates the file
// with a new random key (mode 0600) when it does not exist. A key file
// that group or others may read, or that is too short, is refused.
func LoadOrCreateKey(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		key := make([]byte, KeySize)
		if _, err := rand.Read(key); err != nil {
			f.Close()
			os.Remove(path)
			return nil, err
		}
		if _, err := f.Write(key); err != nil {
			f.Close()
			os.Remove(path)
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, err
		}
		return key, f.Close()
	}
	if !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by group or others (mode %04o): chmod 600 it", path, st.Mode().Perm())
	}
	r, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	key, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return nil, err
	}
	if len(key) < KeySize {
		return nil, fmt.Errorf("%s holds %d bytes, fewer than the %d a key needs: remove it and a new one is made", path, len(key), KeySize)
	}
	return key, nil
}

// Signer signs and checks the tokens that links carry. A token names one
// message, one role ("sender", "approver:ADDRESS" or "reject") and an
// expiry, and is signed with HMAC-SHA256.
type Signer struct{ Key []byte }

// Token errors.
var (
	ErrMalformed = errors.New("malformed token")
	ErrSignature = errors.New("token signature does not match")
	ErrOtherRef  = errors.New("token is for another message")
	ErrExpired   = errors.New("token expired")
)

var b64 = base64.RawURLEncoding

func (s Signer) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, s.Key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)[:20]
}

// Token returns a token for ref and role, valid until expires.
func (s Signer) Token(ref, role string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	payload := ref + "\n" + role + "\n" + exp
	return b64.EncodeToString([]byte(payload)) + "." + b64.EncodeToString(s.mac("token", payload))
}

// Verify checks a token for ref at now and returns its role.
func (s Signer) Verify(token, ref string, now time.Time) (string, error) {
	p64, sig64, ok := strings.Cut(token, ".")
	if !ok || len(token) > 2048 {
		return "", ErrMalformed
	}
	payload, err := b64.DecodeString(p64)
	if err != nil {
		return "", ErrMalformed
	}
	sig, err := b64.DecodeString(sig64)
	if err != nil {
		return "", ErrMalformed
	}
	if !hmac.Equal(sig, s.mac("token", string(payload))) {
		return "", ErrSignature
	}
	parts := strings.Split(string(payload), "\n")
	if len(parts) != 3 {
		return "", ErrMalformed
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return "", ErrMalformed
	}
	if parts[0] != ref {
		return "", ErrOtherRef
	}
	if !now.Before(time.Unix(exp, 0)) {
		return "", ErrExpired
	}
	return parts[1], nil
}

// csrf is the form field that goes with a CSRF cookie on one message's
// page.
func (s Signer) csrf(cookie, ref string) string {
	return b64.EncodeToString(s.mac("csrf", cookie, ref))
}

// HeldURL is the page of a held message for a role.
func (s Signer) HeldURL(publicURL, ref, role string, expires time.Time) string {
	return strings.TrimRight(publicURL, "/") + "/h/" + url.PathEscape(ref) + "?t=" + url.QueryEscape(s.Token(ref, role, expires))
}

// RejectURL is the explanation page of a rejected message.
func (s Signer) RejectURL(publicURL, ref string, expires time.Time) string {
	return strings.TrimRight(publicURL, "/") + "/r/" + url.PathEscape(ref) + "?t=" + url.QueryEscape(s.Token(ref, RoleReject, expires))
}

// Roles.
const (
	RoleSender   = "sender"
	RoleReject   = "reject"
	roleApprover = "approver:"
)

// ApproverRole is the role of one approver of a message.
func ApproverRole(addr string) string { return roleApprover + strings.ToLower(addr) }
