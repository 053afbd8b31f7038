package postgres

import (
	"context"
	"log/slog"
	"time"
)

// SetLeaseTimeout shortens the lease timeout of one store, for a test.
func (s *Store) SetLeaseTimeout(d time.Duration) {
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	s.leaseTimeout = d
}

// OpenUpTo opens a store applying the migrations up to version upTo only.
func OpenUpTo(ctx context.Context, url string, log *slog.Logger, upTo int) (*Store, error) {
	return openUpTo(ctx, url, log, upTo)
}
