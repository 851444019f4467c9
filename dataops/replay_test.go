package dataops

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/queue"
	"github.com/prws/prws/router"
)

// recorder keeps what is appended to it.
type recorder struct{ recs []queue.Record }

func (r *recorder) Append(_ context.Context, recs []queue.Record) error {
	r.recs = append(r.recs, recs...)
	return nil
}

// TestRecordsOfRoutesSeriesLikeIngest: every series lands in the shard
// the ring gives its hash, metadata in shard 0, nothing lost.
func TestRecordsOfRoutesSeriesLikeIngest(t *testing.T) {
	ring, err := router.New([]string{"a"}, 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	body := writeRequest(t, 64, 2, true)
	byShard, samples, err := RecordsOf(body, "", router.KeySeries, 4)
	if err != nil || samples != 128 {
		t.Fatalf("%d samples, %v", samples, err)
	}
	seen, used := 0, 0
	for shard, recs := range byShard {
		for _, r := range recs {
			if r.Kind == queue.KindMetadata {
				if shard != 0 {
					t.Errorf("metadata in shard %d", shard)
				}
				continue
			}
			used++
			var wr prompb.WriteRequest
			if err := wr.Unmarshal(r.Payload); err != nil {
				t.Fatal(err)
			}
			for _, ts := range wr.Timeseries {
				h := router.NewHasher(router.KeySeries)
				for _, l := range ts.Labels {
					h.AddString(l.Name, l.Value)
				}
				if got := ring.Shard(h.Sum64()); got != shard {
					t.Errorf("series %v in shard %d, ring says %d", ts.Labels, shard, got)
				}
				seen++
			}
		}
	}
	if seen != 64 || used < 2 {
		t.Errorf("%d series in %d shards; want 64 spread over several", seen, used)
	}
}

// TestReplaySpreadsOverShards: the one replay the daemon and the CLI
// share re-queues every series of a dead letter into its shard and
// removes the dead letter.
func TestReplaySpreadsOverShards(t *testing.T) {
	data := t.TempDir()
	ref := addBackend(t, data, "http://tsdb-a:9090/api/v1/write", 0)
	name := addDeadLetter(t, data, ref, time.Now(), 32, 3)
	logs, err := OpenDeadLetterLogs(data)
	if err != nil {
		t.Fatal(err)
	}
	shards := []*recorder{{}, {}}
	targets := func(string) (Shards, error) {
		return Shards{Queues: []Appender{shards[0], shards[1]}, Key: router.KeyMetric}, nil
	}
	chosen, err := ListDeadLetters(logs)
	if err != nil {
		t.Fatal(err)
	}
	res := Replay(context.Background(), logs, chosen, "", targets)
	if len(res.Errors) != 0 || len(res.Replayed) != 1 || res.Replayed[0].Samples != 96 || res.Replayed[0].Name != name {
		t.Fatalf("replay: %+v", res)
	}
	// KeyMetric: one metric name, so one shard holds every series.
	total := 0
	for _, s := range shards {
		for _, r := range s.recs {
			total += r.Samples
		}
	}
	if total != 96 || (len(shards[0].recs) > 1 && len(shards[1].recs) > 0) {
		t.Errorf("%d samples re-queued; records per shard %d, %d", total, len(shards[0].recs), len(shards[1].recs))
	}
	if left, _ := ListDeadLetters(logs); len(left) != 0 {
		t.Errorf("%d dead letters left", len(left))
	}
}
