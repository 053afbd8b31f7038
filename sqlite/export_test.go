package sqlite

import (
	"context"
	"log/slog"
)

// OpenUpTo opens a store applying the migrations up to version upTo only.
func OpenUpTo(ctx context.Context, path string, log *slog.Logger, upTo int) (*Store, error) {
	return openUpTo(ctx, path, log, upTo)
}

// Exec runs one statement on the writer connection, for a test writing
// rows as an older release did.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	_, err := s.db.ExecContext(ctx, query, args...)
	return err
}
