package ingest

// submit compresses the records (seal) and hands every touched target its
// records, then waits for all of them,
// whatever happens to the client: the records may already be durable, and a
// queue writer must never be left blocked on an unread done channel. It
// returns the first error reported, or nil when every target succeeded.
// It releases the request's body buffers and the placer's (see the
// releaseBuffers methods): the caller must not read the request body or
// the records after calling it.
func (s *reqState) submit(tenant string) error {
	touched := s.place.touched
	if len(touched) == 0 {
		return nil
	}
	s.place.seal(tenant)
	done := s.doneChan(len(touched))
	for _, i := range touched {
		a := &s.place.accs[i]
		a.target.Submit(a.recs, done)
	}
	// The queues copied the records: the bodies they came from, their
	// accumulators and their blocks can serve other requests
	// while this one waits for the disk.
	s.releaseBuffers()
	s.place.releaseBuffers()
	if s.submitted != nil {
		s.submitted()
	}
	var first error
	for range touched {
		if err := <-done; err != nil && first == nil {
			first = err
		}
	}
	return first
}
