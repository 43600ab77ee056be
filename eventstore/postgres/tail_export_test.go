package postgres

// SharedReadsForTest is how many reads the subscriptions of s have issued
// since the first of those open now subscribed.
func SharedReadsForTest(s *Store) int64 {
	s.mu.Lock()
	t := s.tail
	s.mu.Unlock()
	if t == nil {
		return 0
	}
	return t.queries.Load()
}
