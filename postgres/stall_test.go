package postgres_test

import (
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stallProxy forwards TCP to PostgreSQL until stalled; then it keeps every
// connection open but passes no byte either way, as a database host that
// froze or a network that drops packets without resetting.
type stallProxy struct {
	ln      net.Listener
	target  string
	stalled atomic.Bool
	mu      sync.Mutex
	conns   []net.Conn
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			c.Close()
		}
	})
	return p
}

func (p *stallProxy) forward(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, client, server)
	p.mu.Unlock()
	go p.pipe(server, client)
	p.pipe(client, server)
}

// pipe copies src to dst until stalled; stalled, it stops reading and
// waits for the connections to close.
func (p *stallProxy) pipe(dst io.Writer, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		for p.stalled.Load() {
			time.Sleep(10 * time.Millisecond)
			if _, err := src.Read(nil); err != nil {
				return
			}
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// via returns the URL u reaching the database through the proxy.
func (p *stallProxy) via(t *testing.T, u string) string {
	t.Helper()
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	parsed.Host = p.ln.Addr().String()
	return parsed.String()
}

// TestLeaseLostWhenTheDatabaseStalls: a leader whose database stops
// answering (no reset, no close) must learn it has lost the lease from
// TryLead within the lease timeout, not hang the sync loop in a ping.
func TestLeaseLostWhenTheDatabaseStalls(t *testing.T) {
	t.Parallel()
	u, _ := newSchema(t)
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newStallProxy(t, parsed.Host)
	s := open(t, proxy.via(t, u))
	t.Cleanup(func() { s.Close() })
	s.SetLeaseTimeout(500 * time.Millisecond)

	if ok, err := s.TryLead(t.Context()); err != nil || !ok {
		t.Fatalf("TryLead: %v %v", ok, err)
	}
	proxy.stalled.Store(true)
	done := make(chan struct{})
	var led bool
	var leadErr error
	go func() {
		defer close(done)
		led, leadErr = s.TryLead(t.Context())
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second): // a hang guard, far above the timeout
		t.Fatal("TryLead still waiting on a stalled database after 60s")
	}
	if led {
		t.Errorf("TryLead on a stalled database: still the leader (err %v)", leadErr)
	}
	if leadErr == nil {
		t.Errorf("TryLead on a stalled database: no error to report in the sync status")
	}
}
