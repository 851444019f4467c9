package replay

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/deadletter"
)

// memSink keeps dead letters in memory.
type memSink struct {
	mu      sync.Mutex // guards entries
	entries []deadletter.Entry
}

func (m *memSink) Write(e deadletter.Entry) error {
	e.Body = bytes.Clone(e.Body)
	m.mu.Lock()
	m.entries = append(m.entries, e)
	m.mu.Unlock()
	return nil
}

// specsFrom turns fuzz bytes into a batch: byte 0 gives the number of
// series, then one byte per series: low two bits its samples - 1, bit 2
// marks it bad, bits 3-4 pick a negative sample when bit 5 is set.
func specsFrom(data []byte) []seriesSpec {
	if len(data) == 0 {
		return nil
	}
	n := 1 + int(data[0])%48
	specs := make([]seriesSpec, n)
	for i := range specs {
		var c byte
		if i+1 < len(data) {
			c = data[i+1]
		}
		sp := seriesSpec{i: i, samples: 1 + int(c&3), bad: c&4 != 0}
		if c&32 != 0 {
			sp.negative = []int{int(c>>3&3) % sp.samples}
		}
		specs[i] = sp
	}
	return specs
}

// FuzzSplit: whatever mix of valid series, refused series and refused
// samples a batch holds, the split delivers every accepted sample once,
// dead-letters every refused one once (delivered ∪ dead-lettered = sent,
// disjoint), with exact dead-letter counts, within the request bound.
func FuzzSplit(f *testing.F) {
	f.Add([]byte{50, 0, 0, 4, 0})
	f.Add([]byte{0, 4})
	f.Add([]byte{0, 0x23})
	f.Add([]byte{7, 4, 4, 4, 4, 4, 4, 4, 4})
	f.Add([]byte{31, 1, 2, 3, 0x27, 0x3b, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0x24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		specs := specsFrom(data)
		if len(specs) == 0 {
			return
		}
		b, sent := specBatch(t, 1, specs)
		j := &judge{code: 422}
		sink := &memSink{}
		src := newFakeSource(b)
		ep := Endpoint{Name: "fuzz", URL: "http://127.0.0.1:1/api/v1/write", Client: inProcessClient(j)}
		m := NewMetrics(nil)
		w := mustWorker(&ep, src, Options{DeadLetters: sink, Metrics: m,
			Sleep: func(context.Context, time.Duration) error { return nil }})
		w.Start()
		defer w.Stop(context.Background())
		src.waitAcks(t, 1)

		ok, refused := expected(specs)
		sameSet(t, "delivered", j.samples(), ok)
		var dead []string
		for _, e := range sink.entries {
			var wr prompb.WriteRequest
			if err := wr.Unmarshal(e.Body); err != nil {
				t.Fatal(err)
			}
			n := len(dead)
			for i := range wr.Timeseries {
				dead = appendKeys(dead, &wr.Timeseries[i])
			}
			if e.Samples != len(dead)-n {
				t.Fatalf("dead letter counts %d samples, holds %d", e.Samples, len(dead)-n)
			}
		}
		sameSet(t, "dead-lettered", dead, refused)
		if len(ok)+len(dead) != len(sent) {
			t.Fatalf("%d delivered + %d dead-lettered != %d sent", len(ok), len(dead), len(sent))
		}
		units, maxSamples := 0, 1
		for _, sp := range specs {
			maxSamples = max(maxSamples, sp.samples)
			if sp.bad {
				units += sp.samples // a refused series is divided down to its samples
			} else {
				units += len(sp.negative)
			}
		}
		requests, _ := j.counts()
		if limit := 2 + 2*units*(ceilLog2(len(specs))+ceilLog2(maxSamples)); len(refused) > 0 && requests > limit {
			t.Fatalf("%d requests for %d refused units in %d series, bound %d", requests, units, len(specs), limit)
		}
	})
}
