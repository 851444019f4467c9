package ingest

import (
	"bytes"
	"testing"

	"github.com/golang/snappy"
	"github.com/prws/prws/router"
)

// sealWith decodes, places and seals body over rt and returns the
// placer.
func sealWith(t *testing.T, rt *Routing, body []byte, max int) *placer {
	t.Helper()
	st, err := placeState(t, rt, body, max)
	if err != nil {
		t.Fatal(err)
	}
	st.place.seal("tenant")
	return &st.place
}

// checkBlocks fails unless every record of every touched accumulator
// carries either a block that decodes to its payload or Raw.
func checkBlocks(t *testing.T, p *placer) {
	t.Helper()
	for _, i := range p.touched {
		for j, r := range p.accs[i].recs {
			if (r.Block == nil) != r.Raw {
				t.Fatalf("target %d record %d: block %v, Raw %v", i, j, r.Block != nil, r.Raw)
			}
			if r.Raw {
				continue
			}
			got, err := snappy.Decode(nil, r.Block)
			if err != nil || !bytes.Equal(got, r.Payload) {
				t.Fatalf("target %d record %d: block does not decode to the payload: %v", i, j, err)
			}
		}
	}
}

// With every series on every backend, shard s of each backend holds the
// same records: compressed once, the blocks shared.
func TestSealSharesTwinBlocks(t *testing.T) {
	body := marshal(t, nodeExporterRequest(400))
	b, _ := realBed(t, Options{}, router.KeySeries, 2, 2, 2)
	p := sealWith(t, b.rt, body, 50)
	checkBlocks(t, p)
	if len(p.touched) != 4 {
		t.Fatalf("%d targets touched, want 4", len(p.touched))
	}
	shared := 0
	for _, i := range p.touched {
		for _, j := range p.touched {
			ra, rb := p.accs[i].recs, p.accs[j].recs
			if i >= j || len(ra) == 0 || len(ra) != len(rb) || &ra[0].Block[0] != &rb[0].Block[0] {
				continue
			}
			for k := range ra {
				if &ra[k].Block[0] != &rb[k].Block[0] {
					t.Fatalf("targets %d and %d share record 0's block but not record %d's", i, j, k)
				}
			}
			shared++
		}
	}
	if shared != 2 {
		t.Fatalf("%d pairs of targets share blocks, want 2 (one per shard)", shared)
	}
}

// A payload that does not compress (metadata, below the compression
// threshold) is marked Raw, so the queue does not try again.
func TestSealMarksRaw(t *testing.T) {
	body := marshal(t, placeRequest())
	b, _ := realBed(t, Options{}, router.KeySeries, 2, 1, 2)
	p := sealWith(t, b.rt, body, DefaultBatchSamples)
	checkBlocks(t, p)
	raw := 0
	for _, i := range p.touched {
		for _, r := range p.accs[i].recs {
			if r.Raw {
				raw++
			}
		}
	}
	if raw == 0 {
		t.Fatal("no record marked Raw, though metadata records are short")
	}
}

// With one replica no two targets hold the same series: each has its
// own blocks.
func TestSealCompressesEachTarget(t *testing.T) {
	body := marshal(t, nodeExporterRequest(400))
	b, _ := realBed(t, Options{}, router.KeySeries, 2, 1, 2)
	p := sealWith(t, b.rt, body, DefaultBatchSamples)
	checkBlocks(t, p)
	seen := map[*byte]bool{}
	for _, i := range p.touched {
		for _, r := range p.accs[i].recs {
			if r.Block == nil {
				t.Fatalf("target %d: a record of node_exporter series stored raw", i)
			}
			if seen[&r.Block[0]] {
				t.Fatal("two targets share a block")
			}
			seen[&r.Block[0]] = true
		}
	}
}
