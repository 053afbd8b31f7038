package catalog

import "sync/atomic"

// Snapshot holds the catalog being served. Readers call Catalog on every
// request and get one consistent, immutable catalog without taking a lock;
// a sync builds a new catalog and Stores it in one atomic swap.
type Snapshot struct {
	current atomic.Pointer[Catalog]
}

// Catalog returns the catalog being served, or nil before the first Store.
func (s *Snapshot) Catalog() *Catalog { return s.current.Load() }

// Store makes c the catalog being served.
func (s *Snapshot) Store(c *Catalog) { s.current.Store(c) }
