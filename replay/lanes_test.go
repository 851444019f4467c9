package replay

import (
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/prometheus/prometheus/prompb"
	"google.golang.org/protobuf/encoding/protowire"
)

// refLabelsHash is labelsHash read with protowire alone: the hash of the
// label fields' bytes one after the other, and the samples and
// histograms counted, as far as the body parses. A persisted split names
// a lane by this hash, so labelsHash must never answer otherwise.
func refLabelsHash(ts []byte) (uint64, int) {
	var labels []byte
	samples := 0
	for i := 0; i < len(ts); {
		num, typ, k := protowire.ConsumeTag(ts[i:])
		if k < 0 {
			break
		}
		m := protowire.ConsumeFieldValue(num, typ, ts[i+k:])
		if m < 0 {
			break
		}
		switch {
		case num == fieldLabels:
			labels = append(labels, ts[i:i+k+m]...)
		case typ == protowire.BytesType && (num == fieldSamples || num == fieldHistograms):
			samples++
		}
		i += k + m
	}
	return xxhash.Sum64(labels), samples
}

func FuzzLabelsHash(f *testing.F) {
	long := make([]byte, 300) // a label value with a two-byte length
	for i := range long {
		long[i] = 'a' + byte(i%26)
	}
	for _, ts := range []prompb.TimeSeries{
		{Labels: []prompb.Label{{Name: "__name__", Value: "up"}, {Name: "job", Value: "a"}}, Samples: []prompb.Sample{{Value: 1, Timestamp: 2}}},
		{Labels: []prompb.Label{{Name: "__name__", Value: string(long)}}, Samples: []prompb.Sample{{Value: 1}, {Value: 2}}},
		{Labels: []prompb.Label{{Name: "a", Value: "b"}}, Histograms: []prompb.Histogram{{Count: &prompb.Histogram_CountInt{CountInt: 3}}}},
	} {
		b, err := ts.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		// Labels after a sample: not adjacent, hashed in two pieces.
		f.Add(append(append([]byte(nil), b...), b[:min(len(b), 12)]...))
	}
	f.Add([]byte{0x0a, 0x80, 0x01})       // truncated two-byte length
	f.Add([]byte{0x0a, 0x80, 0x00, 0x12}) // non-minimal length 0
	f.Add([]byte{0x02, 0x01, 0x00})       // field number 0
	f.Fuzz(func(t *testing.T, ts []byte) {
		h, n := labelsHash(ts)
		rh, rn := refLabelsHash(ts)
		if h != rh || n != rn {
			t.Fatalf("labelsHash %x, %d samples; protowire reads %x, %d", h, n, rh, rn)
		}
		size, _, _, _ := entryLane(ts, 4)
		num, typ, k := protowire.ConsumeTag(ts)
		want := -1
		if k >= 0 {
			if m := protowire.ConsumeFieldValue(num, typ, ts[k:]); m >= 0 {
				want = k + m
			}
		}
		if size != want {
			t.Fatalf("entry size %d, protowire reads %d", size, want)
		}
	})
}
