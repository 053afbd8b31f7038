package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	registry "github.com/backbone-registry/backbone"
)

// lease is one holding of the sync lease, so that a late end of an old
// holding's context cannot end a newer one.
type lease struct {
	stop func() bool // stops watching the holder's context
}

// closeTimeout bounds the unlock and goodbye of a connection being dropped.
const closeTimeout = 5 * time.Second

// leaseTimeout bounds each exchange on the lease connection (the liveness
// ping, connecting, trying the lock): a database that stops answering
// without closing the connection must cost the lease, not hang the sync
// loop.
const leaseTimeout = 10 * time.Second

// TryLead takes the sync lease if no replica holds it and reports whether
// this store holds it. The lease is a session-level advisory lock on a
// connection of its own: it holds until ctx ends, Resign or Close, or until
// that connection dies, when the server releases it for another replica.
// A leader calls TryLead again before each sync: it verifies that the
// connection is alive and returns false once the lease is lost. Once a store
// has called TryLead, Apply writes on the lease connection and only while
// the lease is held: that fences a leader that has not noticed yet.
func (s *Store) TryLead(ctx context.Context) (bool, error) {
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	select {
	case <-s.closing:
		return false, registry.Errorf(registry.EUNAVAILABLE, "store closed")
	default:
	}
	s.contender = true
	if s.held != nil {
		pctx, cancel := context.WithTimeout(ctx, s.leaseTimeout)
		err := s.lease.Ping(pctx)
		cancel()
		if err == nil {
			return true, nil
		}
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		s.log.Warn("lost the sync lease: its connection failed", "schema", s.schema, "err", err)
		s.dropLease()
	}
	tctx, cancel := context.WithTimeout(ctx, s.leaseTimeout)
	defer cancel()
	if s.lease == nil {
		conn, err := pgx.ConnectConfig(tctx, s.config)
		if err != nil {
			return false, fmt.Errorf("try lead: %w", interpretError(err))
		}
		s.lease = conn
	}
	var ok bool
	if err := s.lease.QueryRow(tctx, `SELECT pg_try_advisory_lock(hashtextextended($1, 0))`, s.leaseKey()).Scan(&ok); err != nil {
		s.dropLease()
		return false, fmt.Errorf("try lead: %w", interpretError(err))
	}
	if !ok {
		return false, nil // keep the connection for the next try
	}
	l := &lease{}
	l.stop = context.AfterFunc(ctx, func() {
		s.leaseMu.Lock()
		defer s.leaseMu.Unlock()
		if s.held == l {
			s.log.Info("gave up the sync lease: its context ended", "schema", s.schema)
			s.dropLease()
		}
	})
	s.held = l // the caller logs the take: it knows whether it led before
	return true, nil
}

// Resign gives the lease up, if this store holds it, and closes the lease
// connection.
func (s *Store) Resign(ctx context.Context) error {
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	if s.held != nil {
		s.log.Info("resigned the sync lease", "schema", s.schema)
	}
	s.dropLease()
	return nil
}

// dropLease unlocks the lease if held and closes its connection, whose end
// would release the lock anyway. leaseMu must be held.
func (s *Store) dropLease() {
	if s.held != nil {
		s.held.stop()
		s.held = nil
	}
	if s.lease == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	s.lease.Exec(ctx, `SELECT pg_advisory_unlock_all()`)
	s.lease.Close(ctx)
	s.lease = nil
}

func (s *Store) leaseKey() string { return "backbone/lease/" + s.schema }

// Changes delivers a value after each Apply by any replica on this schema,
// until ctx ends or the store closes; then it closes the channel. It listens
// on a connection of its own, and reconnects with backoff if that dies,
// delivering a value after it reconnects since it may have missed some.
// A burst of Applies may deliver one value: the listener never waits for
// the reader.
func (s *Store) Changes(ctx context.Context) (<-chan struct{}, error) {
	return s.subscribe(ctx, channel)
}

// RequestSync sends NOTIFY backbone_sync_request with the schema as
// payload: every replica's SyncRequests hears it, the leader's among them.
func (s *Store) RequestSync(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, requestChannel, s.schema); err != nil {
		return fmt.Errorf("request a sync: %w", interpretError(err))
	}
	return nil
}

// SyncRequests delivers a value after each RequestSync by any replica on
// this schema, as Changes does for Applies (with a value after it
// reconnects, a request it may have missed).
func (s *Store) SyncRequests(ctx context.Context) (<-chan struct{}, error) {
	return s.subscribe(ctx, requestChannel)
}

// subscribe listens to a notification channel on a connection of its own.
func (s *Store) subscribe(ctx context.Context, channel string) (<-chan struct{}, error) {
	select {
	case <-s.closing:
		return nil, registry.Errorf(registry.EUNAVAILABLE, "store closed")
	default:
	}
	conn, err := s.listen(ctx, channel)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	ch := make(chan struct{}, 1)
	s.listeners.Add(1)
	go func() {
		defer s.listeners.Done()
		defer close(ch)
		s.deliver(ctx, channel, conn, ch)
	}()
	return ch, nil
}

// listen opens a connection that listens to channel.
func (s *Store) listen(ctx context.Context, channel string) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, s.config)
	if err != nil {
		return nil, interpretError(err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, interpretError(err)
	}
	return conn, nil
}

// deliver sends a value on ch for each notification on channel about this
// schema until ctx ends or the store closes.
func (s *Store) deliver(ctx context.Context, channel string, conn *pgx.Conn, ch chan<- struct{}) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	signal := func() {
		select {
		case ch <- struct{}{}:
		default: // a value is already waiting: coalesce
		}
	}
	const minBackoff, maxBackoff = 100 * time.Millisecond, 30 * time.Second
	backoff := minBackoff
	for {
		if conn == nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			var err error
			if conn, err = s.listen(ctx, channel); err != nil {
				if ctx.Err() == nil {
					s.log.Warn("listen for notifications", "channel", channel, "schema", s.schema, "err", err, "retry_in", backoff)
				}
				backoff = min(2*backoff, maxBackoff)
				continue
			}
			s.log.Info("listening for notifications again", "channel", channel, "schema", s.schema)
			backoff = minBackoff
			signal()
		}
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			closeCtx, cancelClose := context.WithTimeout(context.Background(), closeTimeout)
			conn.Close(closeCtx)
			cancelClose()
			conn = nil
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("lost the listen connection", "channel", channel, "schema", s.schema, "err", err)
			continue
		}
		if n.Payload == s.schema {
			signal()
		}
	}
}
