package sqlite

import (
	"context"
	"sync"

	registry "github.com/backbone-registry/backbone"
)

// A hub is what the stores of this process that share one database file
// share: the sync lease and the Changes subscribers. SQLite is
// single-replica, so the process is the whole world: no other process is
// expected to write the file.
type hub struct {
	openMu sync.Mutex // held while a store opens the file

	path  string
	refs  int
	lease *lease
	subs  map[chan struct{}]sub // each Changes and SyncRequests channel
}

// sub is a channel's subscription: the store it came from, and whether it
// hears sync requests (else changes).
type sub struct {
	owner    *Store
	requests bool
}

// lease is one holding of the sync lease, so that a late end of an old
// holding's context cannot end a newer one.
type lease struct {
	holder *Store
	stop   func() bool // stops watching the holder's context
}

// hubsMu guards hubs and every hub's fields.
var (
	hubsMu sync.Mutex
	hubs   = map[string]*hub{}
)

func attach(path string) *hub {
	hubsMu.Lock()
	defer hubsMu.Unlock()
	h := hubs[path]
	if h == nil {
		h = &hub{path: path, subs: map[chan struct{}]sub{}}
		hubs[path] = h
	}
	h.refs++
	return h
}

// detach gives up s's lease and Changes channels and forgets the hub when
// its last store closes.
func detach(s *Store) {
	hubsMu.Lock()
	defer hubsMu.Unlock()
	h := s.hub
	s.closed = true
	h.release(s)
	for ch, sub := range h.subs {
		if sub.owner == s {
			delete(h.subs, ch)
			close(ch)
		}
	}
	if h.refs--; h.refs == 0 {
		delete(hubs, h.path)
	}
}

// release ends s's lease, if it holds it. hubsMu must be held.
func (h *hub) release(s *Store) {
	if h.lease != nil && h.lease.holder == s {
		h.lease.stop()
		h.lease = nil
	}
}

// notify tells every subscriber of h that the store changed (or, with
// requests, that a sync was requested), without waiting: a subscriber that
// has not read the last value gets no second one.
func notify(h *hub, requests bool) {
	hubsMu.Lock()
	defer hubsMu.Unlock()
	for ch, sub := range h.subs {
		if sub.requests != requests {
			continue
		}
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// TryLead takes the sync lease if no other store of this process over the
// same file holds it, and reports whether s holds it. SQLite is
// single-replica: the first store to ask leads until ctx ends, Resign or
// Close. Several processes sharing the file are not supported.
func (s *Store) TryLead(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	hubsMu.Lock()
	defer hubsMu.Unlock()
	if s.closed {
		return false, registry.Errorf(registry.EUNAVAILABLE, "store closed")
	}
	s.contender = true
	switch {
	case s.hub.lease == nil:
		l := &lease{holder: s}
		l.stop = context.AfterFunc(ctx, func() {
			hubsMu.Lock()
			defer hubsMu.Unlock()
			if s.hub.lease == l {
				s.hub.lease = nil
			}
		})
		s.hub.lease = l
		return true, nil
	case s.hub.lease.holder == s:
		return true, nil
	}
	return false, nil
}

// mayWrite reports whether s may Apply: it never asked for the lease, or
// it holds it.
func (s *Store) mayWrite() bool {
	hubsMu.Lock()
	defer hubsMu.Unlock()
	return !s.contender || (s.hub.lease != nil && s.hub.lease.holder == s)
}

// Resign gives the lease up, if s holds it.
func (s *Store) Resign(ctx context.Context) error {
	hubsMu.Lock()
	defer hubsMu.Unlock()
	s.hub.release(s)
	return nil
}

// Changes delivers a value after each Apply by any store of this process
// over the same file, until ctx ends or s closes; then it closes the
// channel. A burst of Applies may deliver one value.
func (s *Store) Changes(ctx context.Context) (<-chan struct{}, error) {
	return s.subscribe(ctx, false)
}

// RequestSync tells the SyncRequests channels of every store of this
// process over the same file: in one process, the leader is one of them.
func (s *Store) RequestSync(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	notify(s.hub, true)
	return nil
}

// SyncRequests delivers a value after each RequestSync by any store of
// this process over the same file, until ctx ends or s closes; then it
// closes the channel.
func (s *Store) SyncRequests(ctx context.Context) (<-chan struct{}, error) {
	return s.subscribe(ctx, true)
}

func (s *Store) subscribe(ctx context.Context, requests bool) (<-chan struct{}, error) {
	ch := make(chan struct{}, 1)
	hubsMu.Lock()
	defer hubsMu.Unlock()
	if s.closed {
		return nil, registry.Errorf(registry.EUNAVAILABLE, "store closed")
	}
	s.hub.subs[ch] = sub{owner: s, requests: requests}
	context.AfterFunc(ctx, func() {
		hubsMu.Lock()
		defer hubsMu.Unlock()
		if _, ok := s.hub.subs[ch]; ok {
			delete(s.hub.subs, ch)
			close(ch)
		}
	})
	return ch, nil
}
