package postgres

import "time"

// SetLeaseTimeout shortens the lease timeout of one store, for a test.
func (s *Store) SetLeaseTimeout(d time.Duration) {
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	s.leaseTimeout = d
}
