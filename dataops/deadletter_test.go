package dataops

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/queue"
	"github.com/prws/prws/router"
)

func TestRecordsOfSplitsSeriesAndMetadata(t *testing.T) {
	body := writeRequest(t, 3, 4, true)
	byShard, samples, err := RecordsOf(body, "team-a", router.KeySeries, 1)
	if err != nil {
		t.Fatal(err)
	}
	recs := byShard[0]
	if samples != 12 || len(recs) != 2 {
		t.Fatalf("samples %d, records %d; want 12, 2", samples, len(recs))
	}
	if recs[1].Kind != queue.KindSeries || recs[1].Samples != 12 || recs[1].Tenant != "team-a" {
		t.Errorf("series record %+v", recs[1])
	}
	if recs[0].Kind != queue.KindMetadata || recs[0].Samples != 0 {
		t.Errorf("metadata record %+v", recs[0])
	}
	if got := len(recs[0].Payload) + len(recs[1].Payload); got != len(body) {
		t.Errorf("payloads hold %d bytes, body %d", got, len(body))
	}
}

// A dead letter of series with start timestamps (fields 1.0 does not
// know) is re-queued as KindSeriesST, so they are not lost.
func TestRecordsOfKeepsStartTimestamps(t *testing.T) {
	wr := prompb.WriteRequest{Timeseries: []prompb.TimeSeries{{
		Labels:  []prompb.Label{{Name: "__name__", Value: "x_total"}},
		Samples: []prompb.Sample{{Value: 1, Timestamp: 2, XXX_unrecognized: []byte{0x18, 0x01}}},
	}}}
	body, err := wr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	byShard, _, err := RecordsOf(body, "", router.KeySeries, 1)
	recs := byShard[0]
	if err != nil || len(recs) != 1 || recs[0].Kind != queue.KindSeriesST {
		t.Fatalf("records %+v, err %v; want one KindSeriesST", recs, err)
	}
}

func TestRecordsOfRefusesGarbage(t *testing.T) {
	for name, body := range map[string][]byte{
		"varint field": {0x08, 0x01},
		"short length": {0x0a, 0x10, 0x01},
		"bad series":   {0x0a, 0x02, 0xff, 0xff},
	} {
		if _, _, err := RecordsOf(body, "", router.KeySeries, 1); !errors.Is(err, errBadBody) {
			t.Errorf("%s: err %v, want errBadBody", name, err)
		}
	}
	if recs, n, err := RecordsOf(nil, "", router.KeySeries, 1); err != nil || n != 0 || len(recs[0]) != 0 {
		t.Errorf("empty body: %v %d %v", recs, n, err)
	}
}

func TestReplayDeadLetterQueuesThenRemoves(t *testing.T) {
	data := t.TempDir()
	ref := addBackend(t, data, "http://tsdb-a:9090/api/v1/write", 0)
	name := addDeadLetter(t, data, ref, time.Now(), 2, 5)
	logs, err := OpenDeadLetterLogs(data)
	if err != nil {
		t.Fatal(err)
	}
	q, err := queue.Open(datadir.QueueDir(data, ref.ID, 0), queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	n, err := ReplayDeadLetter(context.Background(), logs[ref.ID], name, Shards{Queues: []Appender{q}})
	if err != nil || n != 10 {
		t.Fatalf("replay: %d samples, %v", n, err)
	}
	if st := q.Stats(); st.PendingSamples != 10 || st.PendingRecords != 2 {
		t.Errorf("queue holds %d samples in %d records; want 10 in 2", st.PendingSamples, st.PendingRecords)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := q.NextBatch(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := b.AppendBody(nil)
	if err != nil {
		t.Fatal(err)
	}
	views, total, meta, err := DecodeSeries(raw, 0)
	if err != nil || total != 2 || meta != 1 || views[1].Samples != 5 {
		t.Errorf("re-queued body: %d series, %d metadata, %v", total, meta, err)
	}
	if _, err := logs[ref.ID].Read(name); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("dead letter still there: %v", err)
	}
}

// failingQueue refuses every append.
type failingQueue struct{}

func (failingQueue) Append(context.Context, []queue.Record) error { return queue.ErrFull }

func TestReplayKeepsDeadLetterWhenQueueRefuses(t *testing.T) {
	data := t.TempDir()
	ref := addBackend(t, data, "http://tsdb-a:9090/api/v1/write", 0)
	name := addDeadLetter(t, data, ref, time.Now(), 1, 1)
	logs, err := OpenDeadLetterLogs(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ReplayDeadLetter(context.Background(), logs[ref.ID], name, Shards{Queues: []Appender{failingQueue{}}}); !errors.Is(err, queue.ErrFull) {
		t.Fatalf("err %v, want ErrFull", err)
	}
	if _, err := logs[ref.ID].Read(name); err != nil {
		t.Errorf("dead letter lost after a failed replay: %v", err)
	}
}

func TestListShowAndPurge(t *testing.T) {
	data := t.TempDir()
	a := addBackend(t, data, "http://tsdb-a:9090/api/v1/write", 0)
	b := addBackend(t, data, "http://tsdb-b:9090/api/v1/write", 0)
	old := addDeadLetter(t, data, a, time.Now().Add(-48*time.Hour), 3, 2)
	addDeadLetter(t, data, b, time.Now(), 30, 1)
	logs, err := OpenDeadLetterLogs(data)
	if err != nil {
		t.Fatal(err)
	}
	all, err := ListDeadLetters(logs)
	if err != nil || len(all) != 2 || all[0].Name != old || all[0].BackendID != a.ID {
		t.Fatalf("list: %+v, %v", all, err)
	}
	d, err := ShowDeadLetter(logs, all[1], 20)
	if err != nil || d.SeriesTotal != 30 || len(d.Series) != 20 || d.Series[0].Labels != `{__name__="m", i="0"}` {
		t.Fatalf("show: total %d, shown %d, %v", d.SeriesTotal, len(d.Series), err)
	}
	chosen, _ := adminapi.Selector{OlderThan: 24 * time.Hour}.Select(all, time.Now())
	res := Purge(logs, chosen)
	if len(res.Purged) != 1 || res.Samples != 6 || len(res.Errors) != 0 {
		t.Fatalf("purge: %+v", res)
	}
	if again := Purge(logs, chosen); len(again.Errors) != 0 {
		t.Errorf("purging a purged dead letter: %v", again.Errors)
	}
	if left, _ := ListDeadLetters(logs); len(left) != 1 {
		t.Errorf("%d left, want 1", len(left))
	}
}

func TestDataDirBackendsAndResolve(t *testing.T) {
	data := t.TempDir()
	a := addBackend(t, data, "http://user:secret@tsdb-a:9090/api/v1/write", 0)
	// a dead-letter directory without a queue, and an unknown directory
	orphan := adminapi.BackendRef{ID: "00112233445566ff"}
	addDeadLetter(t, data, orphan, time.Now(), 1, 1)
	os.MkdirAll(filepath.Join(data, "deadletter", "not-a-backend"), 0o750)
	refs, err := DataDirBackends(data)
	if err != nil || len(refs) != 2 {
		t.Fatalf("refs %+v, %v", refs, err)
	}
	for _, arg := range []string{a.ID, a.URL, "http://TSDB-A:9090/api/v1/write", "http://other:pw@tsdb-a:9090/api/v1/write"} {
		if got, err := adminapi.ResolveBackend(arg, refs); err != nil || got.ID != a.ID {
			t.Errorf("resolve %q: %+v, %v", arg, got, err)
		}
	}
	_, err = adminapi.ResolveBackend("http://u:hunter2@nowhere/api/v1/write", refs)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("unknown backend: %v (must not echo credentials)", err)
	}
}
