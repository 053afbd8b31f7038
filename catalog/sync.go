package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	registry "github.com/backbone-registry/backbone"
)

// SyncStatus says how the sync is doing, for /readyz and the status API.
type SyncStatus struct {
	Leader      bool      `json:"leader"` // this replica holds the sync lease
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"` // credentials never appear here
	Failures    int       `json:"consecutive_failures"`
	// FailingSince is the first of the consecutive failures.
	FailingSince time.Time `json:"failing_since,omitzero"`
	// Syncing is set while an attempt is under way (the first sync of a
	// large repository takes a while; the status says so meanwhile).
	Syncing bool `json:"syncing,omitempty"`
	// Degraded says, one line per backend, what is failing while the last
	// snapshot is still served: "git: …" (the repository cannot be
	// fetched), "database: …" (the store cannot be reached), "sync: …"
	// (a commit cannot be ingested). Empty when all is well.
	Degraded []string `json:"degraded,omitempty"`

	backend    string // "git", "database" or "sync": what the failures are about
	restoreErr string // a follower's last failed reload from the store
}

// SourceError is a failure to read the repository (fetch, history), as
// opposed to the store or the content: the status reports it as Git's.
type SourceError struct{ Err error }

func (e *SourceError) Error() string { return e.Err.Error() }

// Unwrap returns the source's error.
func (e *SourceError) Unwrap() error { return e.Err }

// fail records one more consecutive failure of backend.
func (st *SyncStatus) fail(backend, msg string) {
	if st.Failures == 0 {
		st.FailingSince = time.Now()
	}
	st.Failures++
	st.LastError, st.backend = msg, backend
}

// restored records the outcome of a reload from the store: a failure is
// reported as degraded until a reload succeeds, whatever the role then.
func (st *SyncStatus) restored(err error) {
	st.restoreErr = ""
	if err != nil {
		st.restoreErr = registry.ErrorMessage(err)
	}
}

// heal clears the failures.
func (st *SyncStatus) heal() {
	st.Failures, st.LastError, st.backend, st.FailingSince = 0, "", "", time.Time{}
}

// published is st as Status returns it, with Degraded filled in.
func (st SyncStatus) published() SyncStatus {
	st.Degraded = nil
	if st.Failures > 0 {
		st.Degraded = append(st.Degraded, fmt.Sprintf("%s: %s (%d consecutive failures since %s)",
			st.backend, st.LastError, st.Failures, st.FailingSince.UTC().Format(time.RFC3339)))
	}
	if st.restoreErr != "" {
		st.Degraded = append(st.Degraded, "database: reload from the store: "+st.restoreErr)
	}
	return st
}

// SyncReport describes one sync attempt.
type SyncReport struct {
	Duration time.Duration
	Commits  int   // commits processed
	Err      error // nil on success
}

// Syncer keeps the served snapshot in step with the repository. The leader
// polls (with jitter), syncs on Trigger (webhooks, POST /v1/sync) and on
// the requests followers forward (a follower's Trigger is a RequestSync to
// the leader), and backs off on errors, serving its last snapshot
// meanwhile. Followers reload from the store when the leader reports a
// change, and try to take the lease every LeaseEvery, so that one replaces
// a leader that went away within seconds, whatever the poll interval.
type Syncer struct {
	Ingester *Ingester
	Leaser   registry.Leaser // nil: this process always leads (embedded store)
	Poll     time.Duration   // default 30s
	// LeaseEvery is how often a follower tries to take the lease, whatever
	// Poll: a dead leader is replaced within about that long. Default 1s.
	LeaseEvery time.Duration
	Log        *slog.Logger
	// Observe, if set, hears about every sync attempt (for metrics).
	Observe func(SyncReport)

	trigger chan struct{}
	status  atomic.Pointer[SyncStatus]
}

// maxBackoff bounds the wait after repeated failures.
const maxBackoff = 5 * time.Minute

// Trigger asks for a sync as soon as possible. It never blocks; triggers
// during a sync coalesce into one more sync.
func (s *Syncer) Trigger() {
	s.init()
	select {
	case s.trigger <- struct{}{}:
	default:
	}
}

// History returns the ingested history, also when no catalog is served yet
// (see Ingester.History).
func (s *Syncer) History() *History { return s.Ingester.History() }

// Status returns the sync's status.
func (s *Syncer) Status() SyncStatus {
	if st := s.status.Load(); st != nil {
		return *st
	}
	return SyncStatus{}
}

func (s *Syncer) init() {
	if s.trigger == nil {
		s.trigger = make(chan struct{}, 1)
	}
}

// Run restores the last snapshot from the store, then syncs until ctx ends.
func (s *Syncer) Run(ctx context.Context) error {
	s.init()
	if s.Poll <= 0 {
		s.Poll = 30 * time.Second
	}
	if s.LeaseEvery <= 0 {
		s.LeaseEvery = time.Second
	}
	st := SyncStatus{}
	// Listen before restoring: a change written between the two would
	// otherwise leave a follower without a snapshot until the next one.
	var changes <-chan struct{}
	watch := func() {
		if s.Leaser == nil || changes != nil {
			return
		}
		ch, err := s.Leaser.Changes(ctx)
		if err != nil {
			s.Log.Error("watch store changes", slog.Any("error", err))
			return
		}
		changes = ch
	}
	// The leader hears the sync requests that followers forward.
	var requests <-chan struct{}
	watchRequests := func() {
		if s.Leaser == nil || requests != nil {
			return
		}
		ch, err := s.Leaser.SyncRequests(ctx)
		if err != nil {
			s.Log.Error("watch sync requests", slog.Any("error", err))
			return
		}
		requests = ch
	}
	watch()
	watchRequests()
	restore := func() {
		err := s.Ingester.Restore(ctx)
		if err != nil && ctx.Err() == nil {
			s.Log.Error("restore from store", slog.Any("error", err))
		}
		st.restored(err)
	}
	restore()
	triggered := false // a webhook or POST /v1/sync reached this replica
	for {
		if changes == nil && s.Leaser != nil && ctx.Err() == nil {
			// The store was unreachable when we first listened: listen now,
			// then reload, in case a change came in between.
			if watch(); changes != nil {
				restore()
			}
		}
		if requests == nil && s.Leaser != nil && ctx.Err() == nil {
			watchRequests()
		}
		if s.Leaser == nil {
			st.Leader = true
		} else {
			st = s.lead(ctx, st)
		}
		if st.restoreErr != "" && ctx.Err() == nil {
			// The last reload failed: read the store again, rather than
			// serve (or, leading, sync on top of) what it held before.
			restore()
		}
		if triggered && !st.Leader && ctx.Err() == nil {
			// Forward it: the leader syncs, then this replica reloads.
			if err := s.Leaser.RequestSync(ctx); err != nil {
				s.Log.Error("forward the sync request to the leader", slog.Any("error", err))
			} else {
				s.Log.Debug("forwarded a sync request to the leader")
			}
		}
		triggered = false
		if st.Leader {
			st.LastAttempt, st.Syncing = time.Now(), true
			attempting := st.published()
			s.status.Store(&attempting)
			n, err := s.Ingester.Sync(ctx)
			st.Syncing = false
			if s.Observe != nil && ctx.Err() == nil {
				s.Observe(SyncReport{Duration: time.Since(st.LastAttempt), Commits: n, Err: err})
			}
			switch {
			case ctx.Err() != nil:
				return nil
			case registry.ErrorCode(err) == registry.ECONFLICT:
				// The store refused the write: this replica lost the lease
				// (the store fences it), or another writer got there first.
				// Keep the lease if it is still ours, which the next round's
				// TryLead tells: resigning here would hand it to a replica
				// that may be the stale writer, and the lease would flap.
				s.Log.Warn("the store refused the sync's write; reloading", slog.Any("error", err))
				restore()
				s.Trigger() // go round at once: lead again, or follow
			case err != nil:
				backend := "sync"
				if se := (*SourceError)(nil); errors.As(err, &se) {
					backend = "git"
				} else if code := registry.ErrorCode(err); code == registry.EUNAVAILABLE || code == registry.EINTERNAL {
					backend = "database" // the content is fine but could not be stored
				}
				st.fail(backend, registry.ErrorMessage(err)) // never the remote's words: the status is anonymous
				s.Log.Error("sync", slog.Any("error", err), slog.Int("consecutive_failures", st.Failures))
			default:
				st.heal()
				st.LastSuccess = time.Now()
				if n > 0 {
					s.Log.Info("synced", slog.Int("commits", n))
				}
			}
		}
		published := st.published()
		s.status.Store(&published)

		select {
		case <-ctx.Done():
			if s.Leaser != nil && st.Leader {
				_ = s.Leaser.Resign(context.WithoutCancel(ctx))
			}
			return nil
		case <-s.trigger:
			triggered = true
		case _, open := <-requests:
			if !open {
				requests = nil // listen again next time round
			}
			// The leader syncs next time round; a follower ignores it.
		case _, open := <-changes:
			if !open {
				changes = nil // the watch ended: listen again next time round
				continue
			}
			if !st.Leader {
				if err := s.Ingester.Restore(ctx); err != nil {
					s.Log.Error("reload from store", slog.Any("error", err))
					st.restored(err)
				} else {
					st.restored(nil)
				}
			}
		case <-time.After(s.next(st)):
		}
	}
}

// lead takes the sync lease, or, for the leader, checks that it still
// holds it: a lease dies with its connection (the database went away), and
// another replica may hold it by now. Not reaching the store counts as a
// failure, so the status says so and retries back off.
func (s *Syncer) lead(ctx context.Context, st SyncStatus) SyncStatus {
	led, err := s.Leaser.TryLead(ctx)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			st.fail("database", "take the sync lease: "+registry.ErrorMessage(err))
			s.Log.Error("take the sync lease", slog.Any("error", err), slog.Int("consecutive_failures", st.Failures))
		}
		if st.Leader && ctx.Err() == nil {
			s.Log.Warn("lost the sync lease")
		}
	case led && !st.Leader:
		if st.backend == "database" {
			st.heal() // the store answers again
		}
		s.Log.Info("took the sync lease")
		err := s.Ingester.Restore(ctx) // catch up with the previous leader
		if err != nil {
			s.Log.Error("restore from store", slog.Any("error", err))
		}
		st.restored(err)
	case !led && st.Leader:
		s.Log.Warn("lost the sync lease: another replica leads")
		st.heal()
	case !led:
		st.heal() // a follower that reaches the store is healthy
	}
	st.Leader = led
	return st
}

// maxLeaseBackoff bounds a follower's wait between lease attempts after
// failures to reach the store: once it answers again, a leader is elected
// within about that long.
const maxLeaseBackoff = 30 * time.Second

// next is how long the loop waits for a trigger or a change before it goes
// round again: the leader polls, a follower tries the lease again.
func (s *Syncer) next(st SyncStatus) time.Duration {
	if s.Leaser == nil || st.Leader {
		return s.wait(st.Failures)
	}
	if st.Failures == 0 {
		return s.LeaseEvery
	}
	return min(s.wait(st.Failures), maxLeaseBackoff)
}

// wait is the poll interval with ±10% jitter, or an exponential backoff
// after failures.
func (s *Syncer) wait(failures int) time.Duration {
	d := s.Poll
	if failures > 0 {
		d = min(time.Second<<min(failures, 20), maxBackoff)
	}
	jitter := time.Duration(rand.Int64N(int64(d)/5+1)) - d/10
	return d + jitter
}
