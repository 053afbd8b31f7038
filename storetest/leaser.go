package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	registry "github.com/backbone-registry/backbone"
)

// RunLeaser runs the Leaser conformance suite against a backend whose stores
// also implement registry.Leaser. Two stores opened over one database stand
// for two replicas.
func RunLeaser(t *testing.T, newDB NewDatabase) {
	tests := []struct {
		name string
		run  func(t *testing.T, a, b leaseStore)
	}{
		{"OneLeader", testOneLeader},
		{"Resign", testResign},
		{"ContextEnds", testLeaseContextEnds},
		{"CloseReleases", testCloseReleases},
		{"Changes", testChanges},
		{"ChangesNeverBlockApply", testChangesNeverBlock},
		{"SyncRequests", testSyncRequests},
		{"Fencing", testFencing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			open := newDB(t)
			tt.run(t, openLeaser(t, open), openLeaser(t, open))
		})
	}
}

type leaseStore interface {
	registry.Store
	registry.Leaser
}

func openLeaser(t *testing.T, open Opener) leaseStore {
	t.Helper()
	s := openStore(t, open)
	l, ok := s.(leaseStore)
	if !ok {
		t.Fatalf("%T does not implement registry.Leaser", s)
	}
	return l
}

func testOneLeader(t *testing.T, a, b leaseStore) {
	ctx := t.Context()
	wantLead(t, ctx, "a", a, true)
	wantLead(t, ctx, "a again", a, true)
	wantLead(t, ctx, "b", b, false)
	wantLead(t, ctx, "b again", b, false)
}

func testResign(t *testing.T, a, b leaseStore) {
	ctx := t.Context()
	if err := b.Resign(ctx); err != nil {
		t.Errorf("Resign without the lease: %v", err)
	}
	wantLead(t, ctx, "a", a, true)
	if err := a.Resign(ctx); err != nil {
		t.Fatalf("Resign: %v", err)
	}
	eventuallyLead(t, ctx, "b after a resigned", b)
	wantLead(t, ctx, "a after b took over", a, false)

	if err := b.Resign(ctx); err != nil {
		t.Fatalf("Resign: %v", err)
	}
	eventuallyLead(t, ctx, "a after b resigned", a)
}

func testLeaseContextEnds(t *testing.T, a, b leaseStore) {
	ctx, cancel := context.WithCancel(t.Context())
	wantLead(t, ctx, "a", a, true)
	wantLead(t, t.Context(), "b", b, false)
	cancel()
	eventuallyLead(t, t.Context(), "b after a's context ended", b)
}

func testCloseReleases(t *testing.T, a, b leaseStore) {
	wantLead(t, t.Context(), "a", a, true)
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	eventuallyLead(t, t.Context(), "b after a closed", b)
}

func testChanges(t *testing.T, a, b leaseStore) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	changesA, err := a.Changes(ctx)
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	changesB, err := b.Changes(ctx)
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	apply(t, a, registry.SyncStep{State: state("c1")})
	receive(t, "b, after a's Apply", changesB)
	receive(t, "a, after its own Apply", changesA)

	apply(t, b, registry.SyncStep{After: "c1", State: state("c2")})
	receive(t, "a, after b's Apply", changesA)

	// The channel closes when ctx ends.
	cancel()
	deadline := time.After(10 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-changesB:
		case <-deadline:
			t.Fatal("Changes channel still open 10s after its context ended")
		}
	}
}

func testChangesNeverBlock(t *testing.T, a, _ leaseStore) {
	changes, err := a.Changes(t.Context())
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	// Nobody reads: Apply must not wait for the listener, and the burst
	// is coalesced into at least one value.
	after := ""
	for i := range 5 {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		sha := fmt.Sprintf("c%d", i)
		if _, err := a.Apply(ctx, registry.SyncStep{After: after, State: state(sha)}); err != nil {
			t.Fatalf("Apply %d with an unread Changes channel: %v", i, err)
		}
		cancel()
		after = sha
	}
	receive(t, "after a burst of Applies", changes)
}

// testFencing: a store that asked for the lease writes only while it holds
// it; a replica that lost it must not write over its successor.
func testFencing(t *testing.T, a, b leaseStore) {
	ctx := t.Context()
	wantLead(t, ctx, "a", a, true)
	apply(t, a, registry.SyncStep{State: state("c1")})
	wantLead(t, ctx, "b", b, false)
	if _, err := b.Apply(ctx, registry.SyncStep{After: "c1", State: state("c2")}); registry.ErrorCode(err) != registry.ECONFLICT {
		t.Errorf("Apply by the follower = %v, want %s", err, registry.ECONFLICT)
	}
	if err := a.Resign(ctx); err != nil {
		t.Fatalf("Resign: %v", err)
	}
	if _, err := a.Apply(ctx, registry.SyncStep{After: "c1", State: state("c2")}); registry.ErrorCode(err) != registry.ECONFLICT {
		t.Errorf("Apply after Resign = %v, want %s", err, registry.ECONFLICT)
	}
	eventuallyLead(t, ctx, "b after a resigned", b)
	apply(t, b, registry.SyncStep{After: "c1", State: state("c2")})
	if st, err := b.State(ctx); err != nil || st.Commit != "c2" {
		t.Errorf("State = %+v, %v; want commit c2, the new leader's", st, err)
	}
}

func testSyncRequests(t *testing.T, a, b leaseStore) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	requestsA, err := a.SyncRequests(ctx)
	if err != nil {
		t.Fatalf("SyncRequests: %v", err)
	}
	changesA, err := a.Changes(ctx)
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	wantLead(t, ctx, "a", a, true)
	if err := b.RequestSync(ctx); err != nil {
		t.Fatalf("RequestSync: %v", err)
	}
	receive(t, "SyncRequests of the leader, after the follower's RequestSync", requestsA)
	// A request is no change, and a change no request.
	apply(t, a, registry.SyncStep{State: state("c1")})
	receive(t, "after an Apply", changesA)
	select {
	case <-requestsA:
		t.Errorf("SyncRequests delivered a value after an Apply")
	default:
	}

	// Nobody reads: RequestSync must not wait, and the burst coalesces.
	for i := range 5 {
		if err := b.RequestSync(ctx); err != nil {
			t.Fatalf("RequestSync %d with an unread channel: %v", i, err)
		}
	}
	receive(t, "after a burst of requests", requestsA)

	cancel()
	deadline := time.After(10 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-requestsA:
		case <-deadline:
			t.Fatal("SyncRequests channel still open 10s after its context ended")
		}
	}
}

func wantLead(t *testing.T, ctx context.Context, who string, l registry.Leaser, want bool) {
	t.Helper()
	got, err := l.TryLead(ctx)
	if err != nil {
		t.Fatalf("%s: TryLead: %v", who, err)
	}
	if got != want {
		t.Fatalf("%s: TryLead = %v, want %v", who, got, want)
	}
}

// eventuallyLead waits for l to take the lease: a released lease may take
// a moment to become free.
func eventuallyLead(t *testing.T, ctx context.Context, who string, l registry.Leaser) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := l.TryLead(ctx)
		if err != nil {
			t.Fatalf("%s: TryLead: %v", who, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: TryLead still false after 10s", who)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func receive(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("Changes %s: channel closed", what)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("Changes %s: nothing within 10s", what)
	}
}
