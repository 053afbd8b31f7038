package catalog

import (
	"sync/atomic"
	"time"
)

// Snapshot holds the catalog being served. Readers call Catalog on every
// request and get one consistent, immutable catalog without taking a lock;
// a sync builds a new catalog and Stores it in one atomic swap.
type Snapshot struct {
	current atomic.Pointer[Catalog]
}

// Catalog returns the catalog being served, or nil before the first Store.
func (s *Snapshot) Catalog() *Catalog { return s.current.Load() }

// Store makes c the catalog being served. If c is still served a moment
// later, its search index is built in the background, so the first search
// after a sync does not wait for it while an initial sync storing a catalog
// per commit does not build one each time.
func (s *Snapshot) Store(c *Catalog) {
	s.current.Store(c)
	if c != nil && c.search != nil {
		time.AfterFunc(warmDelay, func() {
			if s.current.Load() == c {
				c.searchIndex()
			}
		})
	}
}

// warmDelay is how long a catalog must stay served before its search
// index is built ahead of the first search.
const warmDelay = 2 * time.Second
