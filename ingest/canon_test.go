package ingest

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/prws/prws/router"
)

// generalHasher hides the production hasher's type, so that a decoder
// using it takes the general path for every series.
type generalHasher struct{ *router.Hasher }

// pad is an unknown WriteRequest field put after a body, so that its last
// series lies a window away from the end and may take the canonical path.
var pad = raw(nil).bytes(15, make([]byte, window))

// decoderPair returns two decoders with production hashes for key k (and
// a series hash when limited): one that may take the canonical path, one
// that cannot.
func decoderPair(opts *Options, k router.Key, limited bool) (canon, general *decoder) {
	canon = &decoder{opts: opts, routeH: router.NewHasher(k)}
	general = &decoder{opts: opts, routeH: generalHasher{router.NewHasher(k)}}
	if limited {
		canon.seriesH = router.NewHasher(router.KeySeries)
		general.seriesH = generalHasher{router.NewHasher(router.KeySeries)}
	}
	return canon, general
}

// checkSamePaths decodes body, as is and padded, under both shard keys
// with and without a series hash, and fails when the canonical and the
// general path disagree on anything: error, entries (hashes included),
// metadata or re-emitted bytes.
func checkSamePaths(t testing.TB, opts Options, body []byte) {
	t.Helper()
	for _, b := range [][]byte{body, append(slices.Clip(body), pad...)} {
		for _, k := range []router.Key{router.KeySeries, router.KeyMetric} {
			for _, limited := range []bool{false, true} {
				c, g := decoderPair(&opts, k, limited)
				ce, ge := c.decode(b), g.decode(b)
				if (ce == nil) != (ge == nil) || ce != nil && ce.Error() != ge.Error() {
					t.Fatalf("%v limited=%v: canonical path says %v, general path %v", k, limited, ce, ge)
				}
				if ce == nil && (!slices.Equal(c.entries, g.entries) || !slices.Equal(c.meta, g.meta) ||
					!bytes.Equal(c.rewrite, g.rewrite)) {
					t.Fatalf("%v limited=%v: entries differ:\ncanonical %+v\ngeneral   %+v", k, limited, c.entries, g.entries)
				}
			}
		}
	}
}

// canonical reports whether the first series of body (padded) takes the
// canonical path under opts.
func canonical(t *testing.T, opts Options, body []byte) bool {
	t.Helper()
	b := append(slices.Clip(body), pad...)
	f, _, err := nextField(b, 0)
	if err != nil || f.num != 1 {
		t.Fatalf("body does not start with a series: %v", err)
	}
	var p seriesParser
	lim := limitsOf(&opts)
	_, ok := p.parseCanonical(b, f.start, f.end, &lim)
	return ok
}

// canonCase is one series and whether the canonical path takes it.
type canonCase struct {
	name  string
	opts  Options
	body  raw
	taken bool
}

func canonCases() []canonCase {
	long := func(c byte, n int) string { return strings.Repeat(string(c), n) }
	node, _ := nodeExporterRequest(1).Marshal()
	return []canonCase{
		{"node exporter", Options{}, node, true},
		{"empty value", Options{}, named(lab("a", ""), lab("b", "1"), sample()), true},
		{"no samples", Options{}, named(lab("a", "1")), true},
		{"name prefix of the next", Options{}, named(lab("a", "1"), lab("a\x00", "2"), sample()), true},
		{"names equal in 8 bytes", Options{}, named(lab("kubernetes_namespace", "a"), lab("kubernetes_pod_name", "b"), sample()), true},
		{"names equal in 16 bytes", Options{}, named(lab("abcdefghijklmnopq", "1"), lab("abcdefghijklmnopr", "2"), sample()), true},
		{"8-byte name prefix of the next", Options{}, named(lab("abcdefgh", "1"), lab("abcdefghi", "2"), sample()), true},
		{"16-byte name prefix of the next", Options{}, named(lab(long('n', 16), "1"), lab(long('n', 17), "2"), sample()), true},
		{"unsorted in 8 bytes", Options{}, named(lab("abcdefghZ", "1"), lab("abcdefghA", "2"), sample()), false},
		{"unsorted in 16 bytes", Options{}, named(lab(long('n', 16)+"b", "1"), lab(long('n', 16)+"a", "2"), sample()), false},
		{"longer name first", Options{}, named(lab("abcdefghi", "1"), lab("abcdefgh", "2"), sample()), false},
		{"unsorted short", Options{}, named(lab("b", "1"), lab("a", "2"), sample()), false},
		{"duplicate long name", Options{}, named(lab(long('d', 20), "1"), lab(long('d', 20), "2"), sample()), false},
		{"duplicate short name", Options{}, named(lab("a", "1"), lab("a", "2"), sample()), false},
		{"empty name", Options{}, series(lab("", "1"), sample()), false},
		{"no labels", Options{}, series(sample()), false},
		{"non-ASCII value", Options{}, named(lab("a", "é"), sample()), false},
		{"invalid UTF-8 name", Options{}, named(lab("a\xff", "1"), sample()), false},
		{"entry of 128 bytes", Options{}, named(lab("a", long('v', 121)), sample()), true},
		{"entry of 129 bytes", Options{}, named(lab("a", long('v', 122)), sample()), false},
		{"entry of 130 bytes", Options{}, named(lab("a", long('v', 123)), sample()), false},
		{"name of 122 bytes", Options{}, named(lab(long('n', 122), ""), sample()), true},
		{"name of 127 bytes", Options{}, named(lab(long('n', 127), "1"), sample()), false},
		{"value of 128 bytes", Options{}, named(lab("a", long('v', 128)), sample()), false},
		{"label after a sample", Options{}, named(lab("a", "1"), sample(), lab("b", "2")), false},
		{"sample first", Options{}, series(sample(), lab("a", "1")), false},
		{"value before name", Options{}, series(raw(nil).bytes(1, raw(nil).str(2, "1").str(1, "a")), sample()), false},
		{"label without value", Options{}, named(lab("a", "1"), raw(nil).bytes(1, raw(nil).str(1, "b")), sample()), false},
		{"name cap met", Options{MaxLabelNameLen: 8}, named(lab("abcdefgh", "1"), sample()), true},
		{"name cap passed", Options{MaxLabelNameLen: 8}, named(lab("abcdefghi", "1"), sample()), false},
		{"value cap met", Options{MaxLabelValueLen: 3}, named(lab("a", "123"), sample()), true},
		{"value cap passed", Options{MaxLabelValueLen: 2}, named(lab("a", "123"), sample()), false},
		{"label cap met", Options{MaxLabelsPerSeries: 3}, named(lab("a", "1"), lab("b", "2"), sample()), true},
		{"label cap passed", Options{MaxLabelsPerSeries: 2}, named(lab("a", "1"), lab("b", "2"), sample()), false},
		{"truncated sample", Options{}, named(lab("a", "1"), raw{0x12, 0x03, 0x09}), false},
		{"labels past maxStaged", Options{}, series(manyLabels(60, 80)...), false},
		{"no metric name", Options{}, series(lab("a", "1"), sample()), false},
		{"empty metric name", Options{}, series(lab("__name__", ""), lab("a", "1"), sample()), false},
		{"metric name not first", Options{}, series(lab("A", "1"), lab("__name__", "up"), lab("job", "x"), sample()), true},
	}
}

// named is series with a __name__ label first: every name the cases use
// after it sorts after "__name__".
func named(fields ...raw) raw {
	return series(append([]raw{lab("__name__", "m")}, fields...)...)
}

// manyLabels returns n sorted labels with values of vlen bytes.
func manyLabels(n, vlen int) []raw {
	var out []raw
	for i := range n {
		out = append(out, lab(string(rune('A'+i/26))+string(rune('a'+i%26)), strings.Repeat("v", vlen)))
	}
	return out
}

func TestCanonicalPathChoice(t *testing.T) {
	for _, tc := range canonCases() {
		t.Run(tc.name, func(t *testing.T) {
			if got := canonical(t, tc.opts, tc.body); got != tc.taken {
				t.Fatalf("canonical path taken: %v, want %v", got, tc.taken)
			}
		})
	}
}

func TestCanonicalPathAgrees(t *testing.T) {
	for _, tc := range canonCases() {
		t.Run(tc.name, func(t *testing.T) {
			checkSamePaths(t, tc.opts, tc.body)
			two := append(append(raw(nil), tc.body...), marshal(t, nodeExporterRequest(2))...)
			checkSamePaths(t, tc.opts, two)
		})
	}
	checkSamePaths(t, Options{}, marshal(t, nodeExporterRequest(300)))
	checkSamePaths(t, Options{}, marshal(t, richRequest()))
}

// TestCanonicalNonASCIITail puts one byte of 0x80 or more at every offset
// of the last 40 bytes of a label run: the word-wise ASCII check must
// send every such series to the general path.
func TestCanonicalNonASCIITail(t *testing.T) {
	for n := range 40 {
		for _, c := range []string{"\x80", "\xff", "é"} {
			v := strings.Repeat("v", n) + c
			body := series(lab("__name__", "up"), lab("job", "node"), lab("zone", v), sample())
			if canonical(t, Options{}, body) {
				t.Fatalf("value %q: canonical path taken", v)
			}
			checkSamePaths(t, Options{}, body)
			name := series(lab("__name__", "up"), lab("z"+v, "1"), sample())
			checkSamePaths(t, Options{}, name)
		}
	}
}

// TestCanonicalEntrySizes covers every name and value length around the
// one-byte length limits.
func TestCanonicalEntrySizes(t *testing.T) {
	for nl := 1; nl <= 130; nl += 1 + nl/16 {
		for vl := 0; vl <= 130; vl += 1 + vl/16 {
			body := named(lab("a", "1"), lab("b"+strings.Repeat("n", nl-1), strings.Repeat("v", vl)), sample())
			if want := 6+nl+vl <= maxEntry; canonical(t, Options{}, body) != want {
				t.Fatalf("name %d value %d bytes: canonical path taken %v, want %v", nl, vl, !want, want)
			}
			checkSamePaths(t, Options{}, body)
		}
	}
}

func TestCanonicalDoesNotAllocate(t *testing.T) {
	body := marshal(t, nodeExporterRequest(100))
	opts := Options{}
	d, _ := decoderPair(&opts, router.KeySeries, false)
	_ = d.decode(body)
	if a := testing.AllocsPerRun(20, func() { _ = d.decode(body) }); a != 0 {
		t.Fatalf("%v allocations per body, want 0", a)
	}
}

// FuzzCanonicalPath checks that the canonical path and the general path
// agree on arbitrary bodies and label caps.
func FuzzCanonicalPath(f *testing.F) {
	for _, tc := range canonCases() {
		f.Add([]byte(tc.body), uint8(tc.opts.MaxLabelNameLen), uint8(tc.opts.MaxLabelValueLen), uint8(tc.opts.MaxLabelsPerSeries))
	}
	f.Fuzz(func(t *testing.T, body []byte, nameCap, valueCap, labelCap uint8) {
		opts := Options{MaxLabelNameLen: int(nameCap), MaxLabelValueLen: int(valueCap), MaxLabelsPerSeries: int(labelCap)}
		checkSamePaths(t, opts, body)
	})
}
