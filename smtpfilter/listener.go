package smtpfilter

import (
	"fmt"

	"github.com/sendguard/sendguard/metrics"
	"net"
	"sync"
	"time"
)

// limitListener refuses connections beyond a total and a per-IP count. A
// refused connection hears "421 4.7.0" and is closed; Accept itself goes on
// (go-smtp's Serve stops on a non-temporary Accept error).
type limitListener struct {
	net.Listener
	hostname string
	max      int
	perIP    int
	metrics  *metrics.Metrics

	mu    sync.Mutex
	total int
	byIP  map[string]int
}

func newLimitListener(l net.Listener, hostname string, max, perIP int, m *metrics.Metrics) *limitListener {
	return &limitListener{Listener: l, hostname: hostname, max: max, perIP: perIP, metrics: m, byIP: map[string]int{}}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := hostOf(c.RemoteAddr())
		l.mu.Lock()
		reason := ""
		switch {
		case l.max > 0 && l.total >= l.max:
			reason = "Too many connections"
		case l.perIP > 0 && l.byIP[ip] >= l.perIP:
			reason = "Too many connections from your address"
		default:
			l.total++
			l.byIP[ip]++
		}
		l.mu.Unlock()
		l.metrics.Connection(reason == "")
		if reason != "" {
			go refuse(c, l.hostname, reason)
			continue
		}
		return &countedConn{Conn: c, release: func() { l.release(ip) }}, nil
	}
}

func (l *limitListener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.byIP[ip]--; l.byIP[ip] <= 0 {
		delete(l.byIP, ip)
	}
}

// Active is the number of connections open now.
func (l *limitListener) Active() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

func refuse(c net.Conn, hostname, reason string) {
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "421 4.7.0 %s %s, try again later\r\n", hostname, reason)
	c.Close()
}

type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

func hostOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}
