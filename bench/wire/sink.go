package wire

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Sink accepts every message sent to it on Addr and counts them.
type Sink struct {
	Addr string

	listener net.Listener
	count    atomic.Int64
	bytes    atomic.Int64

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// idleTimeout ends a connection that says nothing for this long.
const idleTimeout = 5 * time.Minute

// StartSink listens on a free loopback port.
func StartSink() (*Sink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Sink{Addr: l.Addr().String(), listener: l, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Count is the number of messages received so far.
func (s *Sink) Count() int64 { return s.count.Load() }

// Bytes is the number of message bytes received so far (as on the wire,
// dot-stuffing included, terminating dot line excluded).
func (s *Sink) Bytes() int64 { return s.bytes.Load() }

// Close stops listening, closes every connection and waits for them.
func (s *Sink) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.listener.Close()
	s.wg.Wait()
	return err
}

func (s *Sink) accept() {
	defer s.wg.Done()
	for {
		c, err := s.listener.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serve(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

// serve runs one connection. Replies are written as the commands are read,
// in order; they are flushed when no further command is already buffered, so
// a pipelining client gets its replies in one write.
func (s *Sink) serve(c net.Conn) {
	br := bufio.NewReaderSize(c, 64<<10)
	bw := bufio.NewWriter(c)
	reply := func(r string) bool {
		bw.WriteString(r)
		if br.Buffered() > 0 {
			return true
		}
		return bw.Flush() == nil
	}
	if !reply("220 sink.loadgen ESMTP\r\n") {
		return
	}
	for {
		c.SetReadDeadline(time.Now().Add(idleTimeout))
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(string(bytes.TrimSpace(line)))
		verb, _, _ := strings.Cut(cmd, " ")
		var ok bool
		switch verb {
		case "EHLO":
			ok = reply("250-sink.loadgen\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 0\r\n")
		case "HELO", "MAIL", "RCPT", "RSET", "NOOP":
			ok = reply("250 2.0.0 OK\r\n")
		case "DATA":
			if !reply("354 go ahead\r\n") {
				return
			}
			n, err := readData(br)
			if err != nil {
				return
			}
			s.bytes.Add(n)
			s.count.Add(1)
			ok = reply("250 2.0.0 counted\r\n")
		case "QUIT":
			reply("221 2.0.0 bye\r\n")
			return
		default:
			ok = reply("502 5.5.2 not here\r\n")
		}
		if !ok {
			return
		}
	}
}

var endOfData = []byte("\n.\r\n")

// readData consumes a DATA body up to and including its ".\r\n" line and
// returns the number of bytes before that line. The body starts at the
// start of a line (the DATA command's line end came before it).
func readData(br *bufio.Reader) (int64, error) {
	var n int64
	atStart := true
	for {
		if _, err := br.Peek(3); err != nil {
			return n, io.ErrUnexpectedEOF
		}
		buf, _ := br.Peek(br.Buffered())
		if atStart {
			if bytes.HasPrefix(buf, []byte(".\r\n")) {
				br.Discard(3)
				return n, nil
			}
			atStart = false
		}
		if i := bytes.Index(buf, endOfData); i >= 0 {
			br.Discard(i + len(endOfData))
			return n + int64(i) + 1, nil
		}
		// Keep the last three bytes: they may begin the end line.
		k := len(buf) - 3
		if k <= 0 {
			if _, err := br.Peek(len(buf) + 1); err != nil {
				return n, io.ErrUnexpectedEOF
			}
			continue
		}
		br.Discard(k)
		n += int64(k)
	}
}
