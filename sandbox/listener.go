package sandbox

import (
	"bufio"
	"errors"
	"net"
	"sync"
	"time"
)

// sniffTimeout bounds how long a new connection may stay silent before we give up on it: a client
// that connects and sends nothing must not hold a goroutine for ever.
const sniffTimeout = 10 * time.Second

// tlsRecordHandshake is the first byte of every TLS connection (a handshake record). Plain HTTP
// starts with a method name, which is ASCII.
const tlsRecordHandshake = 0x16

// splitListener accepts connections on one port and hands each to one of two child listeners,
// by its first byte: TLS handshakes to one, anything else (plain HTTP) to the other. It lets one
// port answer both https:// and http://, which is what the transport.https.enforced probe tries.
type splitListener struct {
	raw   net.Listener
	tls   *chanListener
	plain *chanListener

	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	mu       sync.Mutex
	sniffing map[net.Conn]struct{} // connections not yet routed, closed with the listener
}

func newSplitListener(raw net.Listener) *splitListener {
	s := &splitListener{raw: raw, done: make(chan struct{}), sniffing: map[net.Conn]struct{}{}}
	s.tls = &chanListener{parent: s, conns: make(chan net.Conn)}
	s.plain = &chanListener{parent: s, conns: make(chan net.Conn)}
	s.wg.Add(1)
	go s.acceptLoop()
	return s
}

func (s *splitListener) acceptLoop() {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		conn, err := s.raw.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				// Temporary trouble (file descriptors exhausted, say): wait and try again, as
				// http.Server does.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			s.Close()
			return
		}
		backoff = 0
		s.wg.Add(1)
		go s.route(conn)
	}
}

// route peeks at the first byte and passes the connection on, byte unread.
func (s *splitListener) route(conn net.Conn) {
	defer s.wg.Done()
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		conn.Close()
		return
	default:
		s.sniffing[conn] = struct{}{}
	}
	s.mu.Unlock()
	_ = conn.SetReadDeadline(time.Now().Add(sniffTimeout))
	br := bufio.NewReaderSize(conn, 512)
	first, err := br.Peek(1)
	s.mu.Lock()
	delete(s.sniffing, conn)
	s.mu.Unlock()
	if err != nil {
		conn.Close()
		return
	}
	_ = conn.SetReadDeadline(time.Time{})
	target := s.plain
	if first[0] == tlsRecordHandshake {
		target = s.tls
	}
	select {
	case target.conns <- &peekedConn{Conn: conn, r: br}:
	case <-s.done:
		conn.Close()
	}
}

// Close stops accepting and closes the port. Connections already handed on belong to the
// http.Server that accepted them.
func (s *splitListener) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		close(s.done)
		for c := range s.sniffing {
			c.Close()
		}
		s.mu.Unlock()
		err = s.raw.Close()
	})
	return err
}

// wait returns when the accept loop and every routing goroutine have finished.
func (s *splitListener) wait() { s.wg.Wait() }

// chanListener is one side of a splitListener.
type chanListener struct {
	parent *splitListener
	conns  chan net.Conn
}

func (c *chanListener) Accept() (net.Conn, error) {
	select {
	case conn := <-c.conns:
		return conn, nil
	case <-c.parent.done:
		return nil, net.ErrClosed
	}
}

// Close closes the shared port: http.Server.Shutdown calls it, and both sides stop together.
func (c *chanListener) Close() error   { return c.parent.Close() }
func (c *chanListener) Addr() net.Addr { return c.parent.raw.Addr() }

// peekedConn reads first from the buffer that holds the sniffed byte.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (p *peekedConn) Read(b []byte) (int, error) { return p.r.Read(b) }
