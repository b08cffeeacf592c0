package smtpfilter

import (
	"bytes"
	"errors"

	"github.com/emersion/go-sasl"
	"golang.org/x/crypto/bcrypt"
)

// maxAuthFailures is how many failed AUTH attempts a connection gets.
const maxAuthFailures = 3

// dummyHash is compared against when the user name is unknown, so that a
// wrong name costs as long as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("sendguard-no-such-user"), bcrypt.DefaultCost)

// checkPassword verifies name and password against the configured users.
func checkPassword(users map[string][]byte, name, password string) bool {
	hash, ok := users[name]
	if !ok {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
}

// loginServer is the server side of the obsolete but widely used AUTH LOGIN
// (draft-murchison-sasl-login): "Username:" and "Password:" challenges.
// go-sasl ships no LOGIN server; Outlook-era MTAs still use it.
type loginServer struct {
	verify   func(name, password string) error
	step     int
	username string
}

var (
	loginUser = []byte("Username:")
	loginPass = []byte("Password:")
)

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		l.step = 1
		if len(response) == 0 {
			return loginUser, false, nil
		}
		fallthrough // the user name came as the initial response
	case 1:
		l.username = string(bytes.TrimSpace(response))
		l.step = 2
		return loginPass, false, nil
	case 2:
		l.step = 3
		return nil, true, l.verify(l.username, string(response))
	}
	return nil, true, errors.New("unexpected AUTH LOGIN response")
}

var _ sasl.Server = (*loginServer)(nil)
