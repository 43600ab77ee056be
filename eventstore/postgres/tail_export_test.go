package postgres

// SharedReadsForTest is how many reads the subscriptions of s have issued
// since the first of those open now subscribed.
func SharedReadsForTest(s *Store) int64 {
	t, ok := tails.Load(s)
	if !ok {
		return 0
	}
	return t.(*tail).queries.Load()
}
