package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// passwdCmd reads a password (first line of stdin) and prints its bcrypt
// hash for [[server.users]] password_bcrypt.
func passwdCmd(stdin io.Reader, stdout io.Writer) error {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return fail(exitUsage, "give the password on standard input")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(h))
	return nil
}
