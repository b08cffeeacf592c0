package smtpfilter

import (
	"fmt"
	"net"
	"time"
)

// openConns is every connection accepted and not yet closed, of any
// generation.
func (l *limitListener) openConns() []*countedConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*countedConn, 0, len(l.open))
	for _, cc := range l.open {
		out = append(out, cc)
	}
	return out
}

// closeAll closes every accepted connection. go-smtp's Server.Close does
// nothing on a server already shutting down (a generation retiring after a
// reload), so the Server closes the sockets itself.
func (l *limitListener) closeAll() {
	for _, cc := range l.openConns() {
		cc.Close()
	}
}

// hangUpSessionless tells every connection that has no session (greeted
// but silent, or between STARTTLS and the next EHLO: no message can be in
// flight) that the server is shutting down, and closes it. hasSession
// reports whether a session is open on the remote address.
func (l *limitListener) hangUpSessionless(hostname string, hasSession func(remote string) bool) {
	for _, cc := range l.openConns() {
		if hasSession(cc.RemoteAddr().String()) {
			continue
		}
		go sayShutdown(cc, hostname)
	}
}

// sayShutdown writes errShuttingDown's 421 to c and closes it. (On a
// connection in the middle of a TLS handshake the client reads it as a
// broken handshake: also a temporary failure.)
func sayShutdown(c net.Conn, hostname string) {
	c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	e := errShuttingDown
	fmt.Fprintf(c, "%d %d.%d.%d %s %s\r\n", e.Code, e.EnhancedCode[0], e.EnhancedCode[1], e.EnhancedCode[2], hostname, e.Message)
	c.Close()
}
