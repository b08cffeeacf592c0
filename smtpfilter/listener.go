package smtpfilter

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
)

// limitListener accepts connections within the budgets of the Config in
// force: one for clients inside AllowedNetworks, one for the others, and
// one per IP. A refused connection hears "421 4.7.0" and is closed; Accept
// itself goes on (go-smtp's Serve stops on a non-temporary Accept error).
// A client outside AllowedNetworks that has not started a message within
// PreMailTimeout is told 421 and closed, so idle or slow clients cannot
// hold slots; a client locked out of AUTH is refused at connect.
type limitListener struct {
	net.Listener
	srv *Server

	mu      sync.Mutex
	allowed int // open connections from AllowedNetworks
	others  int
	byIP    map[netip.Addr]int
	open    map[string]*countedConn // by remote address, for mailStarted
}

func newLimitListener(l net.Listener, srv *Server) *limitListener {
	return &limitListener{Listener: l, srv: srv, byIP: map[netip.Addr]int{}, open: map[string]*countedConn{}}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		cfg := l.srv.config()
		ip := addrIP(c.RemoteAddr())
		inside := cfg.allows(ip)
		reason := ""
		if !inside {
			if _, locked := l.srv.auth.locked(ip); locked {
				reason = "Too many failed authentication attempts from your address"
			}
		}
		l.mu.Lock()
		if reason == "" {
			reason = l.admitLocked(cfg, ip, inside)
		}
		l.mu.Unlock()
		cfg.Metrics.Connection(reason == "")
		if reason != "" {
			go refuse(c, cfg.Hostname, reason)
			continue
		}
		cc := &countedConn{Conn: c, r: bufio.NewReaderSize(c, readBufferSize)}
		cc.release = func() { l.release(cc, ip, inside) }
		l.mu.Lock()
		l.open[c.RemoteAddr().String()] = cc
		l.mu.Unlock()
		if !inside && cfg.PreMailTimeout > 0 {
			hostname := cfg.Hostname
			cc.preMail = time.AfterFunc(cfg.PreMailTimeout, func() {
				refuse(cc, hostname, "No message started in time")
			})
		}
		return cc, nil
	}
}

// admitLocked counts a new connection in its budgets, or says why not.
func (l *limitListener) admitLocked(cfg *Config, ip netip.Addr, inside bool) string {
	switch {
	case inside && cfg.MaxConnectionsAllowed > 0 && l.allowed >= cfg.MaxConnectionsAllowed:
		return "Too many connections"
	case !inside && cfg.MaxConnections > 0 && l.others >= cfg.MaxConnections:
		return "Too many connections"
	case cfg.MaxConnectionsPerIP > 0 && l.byIP[clientKey(ip)] >= cfg.MaxConnectionsPerIP:
		return "Too many connections from your address"
	}
	if inside {
		l.allowed++
	} else {
		l.others++
	}
	l.byIP[clientKey(ip)]++ // an IPv6 client counts by its /64
	return ""
}

func (l *limitListener) release(cc *countedConn, ip netip.Addr, inside bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if inside {
		l.allowed--
	} else {
		l.others--
	}
	key := clientKey(ip)
	if l.byIP[key]--; l.byIP[key] <= 0 {
		delete(l.byIP, key)
	}
	if l.open[cc.RemoteAddr().String()] == cc {
		delete(l.open, cc.RemoteAddr().String())
	}
}

// mailStarted stops the pre-MAIL timer of the connection from remote.
func (l *limitListener) mailStarted(remote net.Addr) {
	l.mu.Lock()
	cc := l.open[remote.String()]
	l.mu.Unlock()
	if cc != nil && cc.preMail != nil {
		cc.preMail.Stop()
	}
}

// Active is the number of connections open now.
func (l *limitListener) Active() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.allowed + l.others
}

func refuse(c net.Conn, hostname, reason string) {
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "421 4.7.0 %s %s, try again later\r\n", hostname, reason)
	c.Close()
}

// readBufferSize is how much a connection reads from the socket at once:
// go-smtp reads through textproto's 4 KB buffer, which would take a
// read(2) per 4 KB of a large message; under it this buffer takes one per
// 32 KB (a 200 KB message: about 7 instead of 50). After STARTTLS the TLS
// layer reads through it too, so nothing the client pipelined is lost.
const readBufferSize = 32 << 10

// countedConn frees its slot in the budgets when closed, and reads the
// socket through a 32 KB buffer.
type countedConn struct {
	net.Conn
	r       *bufio.Reader
	once    sync.Once
	release func()
	preMail *time.Timer // nil for clients inside AllowedNetworks
}

func (c *countedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		if c.preMail != nil {
			c.preMail.Stop()
		}
		c.release()
	})
	return err
}

// addrIP is the IP of a TCP address (the zero Addr for other networks).
func addrIP(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(ta.IP)
		return ip.Unmap()
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// allows reports whether ip is inside the allowed networks.
func (c *Config) allows(ip netip.Addr) bool {
	for _, n := range c.AllowedNetworks {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// connQueue is the net.Listener a generation's go-smtp server accepts
// from: the Server's one real listener hands it the connections.
type connQueue struct {
	ch     chan net.Conn
	mu     sync.Mutex
	closed bool
	done   chan struct{}
}

func newConnQueue() *connQueue {
	return &connQueue{ch: make(chan net.Conn), done: make(chan struct{})}
}

// push hands c to the generation; false when its server stopped accepting.
func (q *connQueue) push(c net.Conn) bool {
	select {
	case q.ch <- c:
		return true
	case <-q.done:
		return false
	}
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.done)
	}
	return nil
}

func (q *connQueue) Addr() net.Addr { return queueAddr{} }

type queueAddr struct{}

func (queueAddr) Network() string { return "sendguard" }
func (queueAddr) String() string  { return "sendguard-generation" }
