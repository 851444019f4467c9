package queue

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestCrashReopenLoop appends, delivers part of the backlog and "crashes"
// (copies the files as they are while the queue is open) over and over.
// Every record whose Append returned nil must be delivered at least once,
// in order, with nothing unknown delivered.
func TestCrashReopenLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	dir := t.TempDir()
	opts := Options{SegmentBytes: 512, TruncateSegments: 1}
	next := 0            // next record number to append
	delivered := []int{} // in delivery order, duplicates allowed
	for round := range 25 {
		q := openTest(t, dir, opts)
		n := r.IntN(30)
		appendRange(t, q, next, n)
		next += n
		for range r.IntN(8) {
			b, ok, err := q.formBatch(1 + r.IntN(10))
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			delivered = append(delivered, parseNums(t, batchBody(t, b))...)
			if r.IntN(4) > 0 {
				if err := q.Ack(b); err != nil {
					t.Fatal(err)
				}
			}
			if r.IntN(3) == 0 {
				q.persist()
				q.maybeTruncate()
			}
		}
		if round%5 == 4 {
			q.Close() // a clean stop now and then
			continue
		}
		dir = copyDir(t, dir)
	}
	q := openTest(t, dir, opts)
	for _, s := range drain(t, q, 7) {
		delivered = append(delivered, parseNums(t, []byte(s))...)
	}
	// Collapse duplicates that re-deliver a suffix: delivery must walk the
	// record numbers forward, possibly stepping back to resend.
	seen := make(map[int]bool)
	for i, n := range delivered {
		if i > 0 && n != delivered[i-1]+1 && !seen[n] {
			t.Fatalf("record %d delivered after %d: skipped records", n, delivered[i-1])
		}
		seen[n] = true
	}
	for n := range next {
		if !seen[n] {
			t.Fatalf("acknowledged record %d never delivered (appended %d)", n, next)
		}
	}
	if len(seen) != next {
		t.Fatalf("%d distinct records delivered, %d appended", len(seen), next)
	}
}

// parseNums returns the record numbers in a body of test payloads.
func parseNums(t *testing.T, body []byte) []int {
	t.Helper()
	var out []int
	for _, p := range splitBody(t, body) {
		var n int
		if _, err := fmt.Sscanf(p, "r%09d;", &n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}
