package smtpfilter

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sendguard/sendguard/internal/smtpsink"
	"github.com/sendguard/sendguard/policy"
)

// The receiving and relaying paths have fast versions of three byte-by-byte
// loops: lineGuard.scan (guard.go), go-smtp's DATA reader and its client's
// dot writer (third_party/go-smtp, see PATCHES.md). Each is checked here
// against the loop it replaced, kept below as the reference, on generated
// input: dots at line starts, CR and LF in odd places, every split into
// chunks. The go-smtp module's own tests do not run with this module's, so
// its two are checked through its public API: a go-smtp server and client
// over net.Pipe (which keeps the writer's chunk boundaries), and sendguard's
// whole server.

// refScan is the former lineGuard.scan.
func refScan(g *lineGuard, b []byte) {
	prevCR := g.prevCR
	for _, c := range b {
		if c == '\n' {
			if !prevCR {
				g.bare = true
				return
			}
		} else if prevCR {
			g.bare = true
			return
		}
		prevCR = c == '\r'
	}
	g.prevCR = prevCR
}

// chunksReader returns one chunk per Read, then io.EOF.
type chunksReader struct{ chunks [][]byte }

func (r *chunksReader) Read(p []byte) (int, error) {
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	if len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	return n, nil
}

// compareGuard feeds chunks to lineGuard.scan and to refScan and compares
// the state after each chunk, then reads them through lineGuard.Read (which
// also judges a CR at the very end) and returns its verdict.
func compareGuard(t *testing.T, chunks [][]byte) bool {
	t.Helper()
	var fast, ref lineGuard
	for i, c := range chunks {
		if !fast.bare {
			fast.scan(c)
		}
		if !ref.bare {
			refScan(&ref, c)
		}
		if fast.bare != ref.bare || (!ref.bare && fast.prevCR != ref.prevCR) {
			t.Fatalf("chunks %q: after chunk %d bare=%v prevCR=%v, reference bare=%v prevCR=%v",
				chunks, i, fast.bare, fast.prevCR, ref.bare, ref.prevCR)
		}
	}
	want := ref.bare || ref.prevCR
	cp := make([][]byte, len(chunks))
	copy(cp, chunks)
	g := &lineGuard{r: &chunksReader{chunks: cp}}
	var got []byte
	p := make([]byte, 1<<16)
	for {
		n, err := g.Read(p)
		got = append(got, p[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if g.bare != want || !bytes.Equal(got, bytes.Join(chunks, nil)) {
		t.Fatalf("chunks %q: Read gives bare=%v, want %v", chunks, g.bare, want)
	}
	return want
}

func TestLineGuard(t *testing.T) {
	cases := []struct {
		chunks []string
		bare   bool
	}{
		{[]string{""}, false},
		{[]string{"a\r\n"}, false},
		{[]string{"a\r\nb\r\n\r\n.\r\n"}, false},
		{[]string{"a\n"}, true},
		{[]string{"\n"}, true},
		{[]string{"\r"}, true},
		{[]string{"a\r"}, true},
		{[]string{"a\rb\r\n"}, true},
		{[]string{"\r\r\n"}, true},
		{[]string{"a\r\n\n"}, true},
		{[]string{"hello\r.\r\n.\r\n"}, true},
		{[]string{"a\r", "\nb\r\n"}, false},
		{[]string{"a\r", "", "\n"}, false},
		{[]string{"\r", "\n", "\r", "\n"}, false},
		{[]string{"a\r", "b"}, true},
		{[]string{"a\r", "\r\n"}, true},
		{[]string{"a", "\n"}, true},
		{[]string{"a\r\n", "\n"}, true},
		{[]string{"a\r\nb", "c\r"}, true},
		{[]string{"long line " + strings.Repeat("x", 5000) + "\r\n", "next\r\n"}, false},
		{[]string{"long line " + strings.Repeat("x", 5000) + "\r\r\n"}, true},
	}
	for _, c := range cases {
		var chunks [][]byte
		for _, s := range c.chunks {
			chunks = append(chunks, []byte(s))
		}
		if got := compareGuard(t, chunks); got != c.bare {
			t.Errorf("%q: bare=%v, want %v", c.chunks, got, c.bare)
		}
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for range 5000 {
		data := randomWire(rng, rng.IntN(300), 0.02)
		compareGuard(t, splitRandom(rng, data))
	}
}

func FuzzLineGuard(f *testing.F) {
	f.Add([]byte("a\r\nb\r\n"), uint64(5))
	f.Add([]byte("a\r\rb\n\r\n"), uint64(77))
	f.Fuzz(func(t *testing.T, data []byte, cuts uint64) {
		rng := rand.New(rand.NewPCG(cuts, 1))
		compareGuard(t, splitRandom(rng, data))
	})
}

// splitRandom cuts data into chunks of random sizes, empty ones included.
func splitRandom(rng *rand.Rand, data []byte) [][]byte {
	var chunks [][]byte
	for len(data) > 0 {
		n := rng.IntN(min(len(data), 1+rng.IntN(40)) + 1)
		chunks = append(chunks, data[:n])
		data = data[n:]
	}
	return chunks
}

// randomWire makes n bytes of mail-like text: mostly CRLF lines, dots at the
// start of lines, and, with probability odd per line, a bare CR or LF, a CR
// CR LF, a lone dot line with a bare line ending, and the like.
func randomWire(rng *rand.Rand, n int, odd float64) []byte {
	var b []byte
	for len(b) < n {
		if rng.Float64() < 0.3 {
			b = append(b, '.')
			if rng.IntN(3) == 0 {
				b = append(b, '.')
			}
		}
		for range rng.IntN(80) {
			b = append(b, "abcxyz 0123456789:-"[rng.IntN(19)])
		}
		if rng.Float64() < odd {
			odds := []string{"\n", "\r", "\r\r\n", "\r.\r\n", "\n.\n", "\n.\r\n", ".\r", "\r\n.", "\r\r", "\r\n\r", "\r.\r", "\x00"}
			b = append(b, odds[rng.IntN(len(odds))]...)
		}
		b = append(b, "\r\n"...)
	}
	return b
}

// refDataReader is go-smtp v0.25.1's dataReader.Read with sendguard's
// bare-CR and dot-CR patches (third_party/go-smtp/data.go before the fast
// path).
type refDataReader struct {
	r       *bufio.Reader
	state   int
	limited bool
	n       int64
}

func (r *refDataReader) Read(b []byte) (n int, err error) {
	if r.limited {
		if r.n <= 0 {
			return 0, smtp.ErrDataTooLarge
		}
		if int64(len(b)) > r.n {
			b = b[0:r.n]
		}
	}
	const (
		stateBeginLine = iota
		stateDot
		stateDotCR
		stateCR
		stateData
		stateEOF
	)
	for n < len(b) && r.state != stateEOF {
		var c byte
		c, err = r.r.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			break
		}
		switch r.state {
		case stateBeginLine:
			if c == '.' {
				r.state = stateDot
				continue
			}
			if c == '\r' {
				r.state = stateCR
				break
			}
			r.state = stateData
		case stateDot:
			if c == '\r' {
				r.state = stateDotCR
				continue
			}
			r.state = stateData
		case stateDotCR:
			if c == '\n' {
				r.state = stateEOF
				continue
			}
			r.r.UnreadByte() // the stuffed dot goes, the CR stays (dot-CR patch)
			c = '\r'
			r.state = stateCR
		case stateCR:
			if c == '\n' {
				r.state = stateBeginLine
				break
			}
			if c == '\r' {
				break
			}
			r.state = stateData
		case stateData:
			if c == '\r' {
				r.state = stateCR
			}
		}
		b[n] = c
		n++
	}
	if err == nil && r.state == stateEOF {
		err = io.EOF
	}
	if r.limited {
		r.n -= int64(n)
	}
	return
}

// readCall is the result of one Read.
type readCall struct {
	data string
	err  error
}

func (c readCall) String() string { return fmt.Sprintf("(%q, %v)", c.data, c.err) }

// readCalls reads r with reads of the given sizes (cycled) until an error.
func readCalls(r io.Reader, sizes []int) []readCall {
	var calls []readCall
	for i := 0; ; i++ {
		p := make([]byte, sizes[i%len(sizes)])
		n, err := r.Read(p)
		calls = append(calls, readCall{string(p[:n]), err})
		if err != nil || i > 1<<20 {
			return calls
		}
	}
}

// refEnd reports where the reference DATA reader stops in wire (the byte
// after the end-of-data line), or -1 when the data does not end.
func refEnd(wire []byte) int {
	src := bytes.NewReader(wire)
	br := bufio.NewReader(src)
	calls := readCalls(&refDataReader{r: br}, []int{4096})
	if calls[len(calls)-1].err != io.EOF {
		return -1
	}
	return len(wire) - src.Len() - br.Buffered()
}

// dataCase is the DATA part of one generated transaction: what follows the
// DATA command on the wire up to and including the end-of-data line.
func dataCase(rng *rand.Rand, size int, odd float64) []byte {
	wire := randomWire(rng, size, odd)
	if rng.IntN(4) == 0 && len(wire) > 0 { // the data need not end in CRLF
		wire = wire[:rng.IntN(len(wire))]
	}
	for range 4 {
		wire = append(wire, "\r\n.\r\n"...)
		if end := refEnd(wire); end >= 0 {
			return wire[:end]
		}
	}
	panic("no end of data")
}

// pipeListener hands out the server ends of net.Pipe connections.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *pipeListener) Addr() net.Addr { return &net.UnixAddr{Name: "pipe", Net: "pipe"} }

func (l *pipeListener) dial() net.Conn {
	client, server := net.Pipe()
	l.conns <- server
	return client
}

// recordingSession reads DATA with the given read sizes and hands over what
// each Read returned.
type recordingSession struct {
	sizes *[]int
	calls chan []readCall
}

func (s *recordingSession) Reset()                               {}
func (s *recordingSession) Logout() error                        { return nil }
func (s *recordingSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *recordingSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *recordingSession) Data(r io.Reader) error {
	calls := readCalls(r, *s.sizes)
	s.calls <- calls
	if err := calls[len(calls)-1].err; err != io.EOF {
		return err
	}
	return nil
}

// replyCodes reads replies until EOF and sends the code of each (of the
// last line of a multi-line reply), then closes codes.
func replyCodes(r io.Reader, codes chan<- string) {
	defer close(codes)
	tp := textproto.NewReader(bufio.NewReader(r))
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		if len(line) >= 4 && line[3] == ' ' {
			codes <- line[:3]
		}
	}
}

// TestDataReaderMatchesReference runs go-smtp's server over net.Pipe: the
// client side writes a transaction in chunks of random sizes, the session
// reads DATA with reads of random sizes and records what each Read returned,
// which must be what the byte-by-byte reader returns for the same bytes and
// read sizes. The commands after the data (NOOP, QUIT, in the same write as
// its end) must be answered: the reader must not read past the end of the
// data. Some transactions are cut off mid-data, some exceed
// MaxMessageBytes.
func TestDataReaderMatchesReference(t *testing.T) {
	for _, limit := range []int{0, 1, 97, 1000, 5000} {
		t.Run(fmt.Sprintf("MaxMessageBytes=%d", limit), func(t *testing.T) {
			testDataReader(t, limit)
		})
	}
}

func testDataReader(t *testing.T, limit int) {
	var sizes []int
	calls := make(chan []readCall, 1)
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &recordingSession{sizes: &sizes, calls: calls}, nil
	}))
	srv.Domain = "test"
	srv.MaxLineLength = 0
	srv.MaxMessageBytes = int64(limit)
	srv.ReadTimeout = 20 * time.Second
	srv.WriteTimeout = 20 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	l := newPipeListener()
	go srv.Serve(l)
	defer srv.Close()

	rng := rand.New(rand.NewPCG(uint64(limit), 99))
	n := 150
	if testing.Short() {
		n = 30
	}
	for i := range n {
		size := rng.IntN(600)
		if i%10 == 0 {
			size = 5000 + rng.IntN(15000) // across the 4 KB bufio buffer many times
		}
		data := dataCase(rng, size, []float64{0, 0.05, 0.5}[i%3])
		cut := -1
		if i%7 == 3 {
			cut = rng.IntN(len(data)) // the client goes away mid-data
		}
		allSizes := [][]int{{1}, {2, 3, 7}, {4096}, {32 * 1024}, {0, 5, 1, 64}, {13, 1000}}
		sizes = allSizes[rng.IntN(len(allSizes))]

		// The reference: the same bytes, the same read sizes.
		refWire := data
		if cut >= 0 {
			refWire = data[:cut]
		}
		ref := &refDataReader{r: bufio.NewReader(bytes.NewReader(refWire))}
		if limit > 0 {
			ref.limited, ref.n = true, int64(limit)
		}
		want := readCalls(ref, sizes)

		conn := l.dial()
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		codes := make(chan string, 16)
		go replyCodes(conn, codes)
		write := func(wire []byte) {
			t.Helper()
			for _, chunk := range splitRandom(rng, wire) {
				if _, err := conn.Write(chunk); err != nil {
					t.Fatalf("case %d: write: %v", i, err)
				}
			}
		}
		cmds := []byte("EHLO client\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n")
		var gotCodes []string
		if cut >= 0 {
			// Cut off only once the server is reading the data.
			write(cmds)
			for len(gotCodes) < 5 {
				gotCodes = append(gotCodes, <-codes)
			}
			write(data[:cut])
			conn.Close()
		} else {
			// Everything pipelined, in chunks that ignore where the
			// commands and the data begin and end.
			write(append(append(cmds, data...), "NOOP\r\nQUIT\r\n"...))
		}
		var got []readCall
		select {
		case got = <-calls:
		case <-time.After(20 * time.Second):
			t.Fatalf("case %d: the session got no data (%q)", i, data)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("case %d, read sizes %v, data %q:\ngot  %v\nwant %v", i, sizes, truncate(data), truncateCalls(got), truncateCalls(want))
		}
		for c := range codes {
			gotCodes = append(gotCodes, c)
		}
		wantCodes := []string{"220", "250", "250", "250", "354"}
		if cut < 0 {
			dataReply := "250"
			if errors.Is(want[len(want)-1].err, smtp.ErrDataTooLarge) {
				dataReply = "552"
			}
			wantCodes = append(wantCodes, dataReply, "250", "221")
		}
		if fmt.Sprint(gotCodes) != fmt.Sprint(wantCodes) {
			t.Fatalf("case %d: replies %v, want %v (data %q)", i, gotCodes, wantCodes, truncate(data))
		}
		conn.Close()
	}
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

func truncateCalls(calls []readCall) string {
	s := fmt.Sprint(calls)
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

// TestDotWriterMatchesTextproto runs go-smtp's client against a canned
// server over net.Pipe and compares what it sends after DATA with what
// net/textproto's dot writer makes of the same writes, when the writer is
// closed and when the next command closes it.
func TestDotWriterMatchesTextproto(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for i := range 400 {
		size := rng.IntN(400)
		if i%10 == 0 {
			size = 5000 + rng.IntN(20000) // beyond the client's 4 KB bufio buffer
		}
		data := randomWire(rng, size, []float64{0, 0.1, 0.6}[i%3])
		if i%4 == 1 && len(data) > 0 {
			data = data[:rng.IntN(len(data))] // any last byte
		}
		if i%9 == 0 {
			data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")) // LF only
		}
		chunks := splitRandom(rng, data)
		if i%5 == 0 {
			chunks = [][]byte{data}
		}
		closeFirst := i%6 != 5
		if err := compareDotWriter(chunks, closeFirst); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
	}
	for _, s := range []string{"", ".", "\r", "\n", "\r\r", "\r\r\n", ".\r\n", "a\r\n.", "\n.\n", "..\r\n.\r\n", "\r.\r\n"} {
		for _, closeFirst := range []bool{true, false} {
			if err := compareDotWriter([][]byte{[]byte(s)}, closeFirst); err != nil {
				t.Errorf("%q: %v", s, err)
			}
			var bytewise [][]byte
			for j := range len(s) {
				bytewise = append(bytewise, []byte{s[j]})
			}
			if err := compareDotWriter(bytewise, closeFirst); err != nil {
				t.Errorf("%q byte by byte: %v", s, err)
			}
		}
	}
}

func FuzzDotWriter(f *testing.F) {
	f.Add([]byte("a\r\n.b\r\n..\r\n"), uint64(3))
	f.Add([]byte("\r\r\n.\n\r."), uint64(8))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 2))
		if err := compareDotWriter(splitRandom(rng, data), seed%4 != 0); err != nil {
			t.Fatal(err)
		}
	})
}

func compareDotWriter(chunks [][]byte, closeFirst bool) error {
	// What textproto's dot writer makes of the chunks.
	var ref bytes.Buffer
	bw := bufio.NewWriter(&ref)
	dw := textproto.NewWriter(bw).DotWriter()
	for _, c := range chunks {
		dw.Write(c)
	}
	dw.Close()

	client, server := net.Pipe()
	defer client.Close()
	deadline := time.Now().Add(20 * time.Second)
	client.SetDeadline(deadline)
	server.SetDeadline(deadline)
	replies := "220 hi\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n"
	if !closeFirst {
		replies = "220 hi\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 reset\r\n"
	}
	go func() { io.WriteString(server, replies) }()
	sent := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(server)
		sent <- b
	}()
	c := smtp.NewClient(client)
	if err := c.Mail("a@b.test", nil); err != nil {
		return err
	}
	if err := c.Rcpt("c@d.test", nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	for _, ch := range chunks {
		if n, err := w.Write(ch); n != len(ch) || err != nil {
			return fmt.Errorf("Write: %d of %d, %v", n, len(ch), err)
		}
	}
	tail := "QUIT\r\n"
	if closeFirst {
		resp, err := w.CloseWithResponse()
		if err != nil || resp.StatusText != "queued" {
			return fmt.Errorf("CloseWithResponse: %v, %v", resp, err)
		}
		if err := w.Close(); err == nil {
			return errors.New("second Close did not fail")
		}
	} else {
		// The next command ends the data first, as with textproto.
		if err := c.Reset(); err != nil {
			return fmt.Errorf("Reset: %v", err)
		}
		tail = "RSET\r\n"
		c.Close()
	}
	if closeFirst {
		if err := c.Quit(); err != nil {
			return fmt.Errorf("Quit: %v", err)
		}
	}
	got := <-sent
	i := bytes.Index(got, []byte("DATA\r\n"))
	if i < 0 {
		return fmt.Errorf("no DATA in %q", got)
	}
	want := append(ref.Bytes(), tail...)
	if body := got[i+len("DATA\r\n"):]; !bytes.Equal(body, want) {
		return fmt.Errorf("chunks %q:\nsent %q\nwant %q", chunks, truncate(body), truncate(want))
	}
	return nil
}

// TestGeneratedMessagesEndToEnd sends generated messages through
// sendguard's server (to a go-smtp sink through go-smtp's client): written in
// chunks of random sizes, several per connection, each with a NOOP in the
// same write as its end of data. A message is relayed byte for byte (after
// the fields sendguard adds) unless the byte-by-byte reader and scan say
// that it has a bare CR or LF (550 5.6.0) or is too large (552).
func TestGeneratedMessagesEndToEnd(t *testing.T) {
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	spoolDir := t.TempDir()
	pol, _, err := policy.Compile(policy.Config{
		Domains: policy.DomainsConfig{
			Internal: []string{"example.co.jp"},
			Verified: []string{"partner.example.com"},
		},
		Attachments: policy.AttachmentsConfig{SpoolDir: spoolDir, SpoolMemoryBytes: 4096},
	})
	if err != nil {
		t.Fatal(err)
	}
	const limit = 30000
	srv := New(Config{
		Hostname:            "sendguard.test",
		AllowedNetworks:     []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		MaxMessageBytes:     limit,
		MaxRecipients:       50,
		MaxLineLength:       64 << 10,
		MaxConnections:      50,
		MaxConnectionsPerIP: 50,
		CommandTimeout:      30 * time.Second,
		DataTimeout:         30 * time.Second,
		SpoolDir:            spoolDir,
		SpoolMemoryBytes:    4096,
		Upstream: &SMTPUpstream{
			Addr: sink.Addr, Helo: "sendguard.test",
			ConnectTimeout: 5 * time.Second, CommandTimeout: 10 * time.Second, DataTimeout: 10 * time.Second,
		},
		Policy: func() *policy.Policy { return pol },
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Audit:  slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	rng := rand.New(rand.NewPCG(31, 32))
	var relayed [][]byte
	conns, perConn := 4, 30
	if testing.Short() {
		conns = 1
	}
	for range conns {
		conn, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(60 * time.Second))
		tp := textproto.NewReader(bufio.NewReader(conn))
		expect := func(what, code string) string {
			t.Helper()
			for {
				line, err := tp.ReadLine()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if len(line) >= 4 && line[3] == '-' {
					continue
				}
				if !strings.HasPrefix(line, code) {
					t.Fatalf("%s: reply %q, want %s", what, line, code)
				}
				return line
			}
		}
		expect("greeting", "220")
		io.WriteString(conn, "EHLO client.test\r\n")
		expect("EHLO", "250")
		for i := range perConn {
			size := rng.IntN(3000)
			if i%8 == 0 {
				size = 10000 + rng.IntN(30000) // spooled to disk; some too large
			}
			body := dataCase(rng, size, []float64{0, 0, 0.02, 0.3}[i%4])
			data := append([]byte("From: <alice@example.co.jp>\r\nTo: <bob@partner.example.com>\r\nSubject: dots\r\n\r\n"), body...)
			// What the byte-by-byte reader and scan make of it.
			ref := &refDataReader{r: bufio.NewReader(bytes.NewReader(data)), limited: true, n: limit}
			var unstuffed []byte
			tooLarge := false
			var g lineGuard
			for _, c := range readCalls(ref, []int{32 * 1024}) {
				unstuffed = append(unstuffed, c.data...)
				if !g.bare {
					refScan(&g, []byte(c.data))
				}
				tooLarge = errors.Is(c.err, smtp.ErrDataTooLarge)
			}
			bare := g.bare || g.prevCR
			io.WriteString(conn, "MAIL FROM:<alice@example.co.jp>\r\nRCPT TO:<bob@partner.example.com>\r\nDATA\r\n")
			expect("MAIL", "250")
			expect("RCPT", "250")
			expect("DATA", "354")
			for _, chunk := range splitRandom(rng, append(data, "NOOP\r\n"...)) {
				if _, err := conn.Write(chunk); err != nil {
					t.Fatal(err)
				}
			}
			switch {
			case tooLarge:
				expect("end of data (too large)", "552")
			case bare:
				expect("end of data (bare CR or LF)", "550 5.6.0")
			default:
				expect("end of data", "250")
				relayed = append(relayed, unstuffed)
			}
			expect("NOOP", "250")
		}
		io.WriteString(conn, "QUIT\r\n")
		expect("QUIT", "221")
		conn.Close()
	}
	if len(relayed) < conns*perConn/3 {
		t.Fatalf("only %d of %d messages relayed: generate fewer broken ones", len(relayed), conns*perConn)
	}
	got := sink.Wait(len(relayed), 10*time.Second)
	if len(got) != len(relayed) {
		t.Fatalf("sink holds %d messages, want %d", len(got), len(relayed))
	}
	for i, m := range got {
		if !bytes.HasPrefix(m.Data, []byte("Received: ")) || !bytes.HasSuffix(m.Data, relayed[i]) {
			t.Fatalf("message %d at the sink:\n%q\nwant it to end with\n%q", i, truncate(m.Data), truncate(relayed[i]))
		}
		head := m.Data[:len(m.Data)-len(relayed[i])]
		if !bytes.Contains(head, []byte("\r\nX-Sendguard-Verdict: ")) || bytes.Count(head, []byte("\r\n")) > 12 {
			t.Fatalf("message %d: unexpected fields before the message: %q", i, head)
		}
	}
}
