package dataops

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/prometheus/prompb"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/deadletter"
	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/internal/redact"
	"github.com/prws/prws/queue"
	"github.com/prws/prws/router"
)

// writeRequest encodes series series of samples samples each, plus one
// metadata entry when meta is set.
func writeRequest(t *testing.T, series, samples int, meta bool) []byte {
	t.Helper()
	var wr prompb.WriteRequest
	for i := range series {
		ts := prompb.TimeSeries{Labels: []prompb.Label{{Name: "__name__", Value: "m"}, {Name: "i", Value: fmt.Sprint(i)}}}
		for j := range samples {
			ts.Samples = append(ts.Samples, prompb.Sample{Timestamp: int64(1000 * (j + 1)), Value: float64(j)})
		}
		wr.Timeseries = append(wr.Timeseries, ts)
	}
	if meta {
		wr.Metadata = []prompb.MetricMetadata{{Type: prompb.MetricMetadata_GAUGE, MetricFamilyName: "m", Help: "M."}}
	}
	b, err := wr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// addBackend creates the queue directory (shard 0, with pending records
// of samples samples) and backend.json of url in data.
func addBackend(t *testing.T, data, url string, samples int) adminapi.BackendRef {
	t.Helper()
	id, err := router.BackendID(url)
	if err != nil {
		t.Fatal(err)
	}
	ref := adminapi.BackendRef{ID: id, URL: redact.URL(url)}
	if err := datadir.WriteBackendInfo(data, datadir.BackendInfo{ID: id, URL: ref.URL, Created: time.Now(), Shards: 1}); err != nil {
		t.Fatal(err)
	}
	q, err := queue.Open(datadir.QueueDir(data, id, 0), queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if samples > 0 {
		byShard, _, err := RecordsOf(writeRequest(t, 1, samples, false), "", router.KeySeries, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Append(context.Background(), byShard[0]); err != nil {
			t.Fatal(err)
		}
	}
	return ref
}

// addDeadLetter writes a dead letter of series×samples for backend ref.
func addDeadLetter(t *testing.T, data string, ref adminapi.BackendRef, when time.Time, series, samples int) string {
	t.Helper()
	l, err := deadletter.Open(datadir.DeadLetterDir(data, ref.ID))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Write(deadletter.Entry{Time: when, Backend: ref.URL, Status: 400, Message: "out of bounds",
		Samples: series * samples, Body: writeRequest(t, series, samples, true)}); err != nil {
		t.Fatal(err)
	}
	metas, err := l.List()
	if err != nil {
		t.Fatal(err)
	}
	return metas[len(metas)-1].Name
}
