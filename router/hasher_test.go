package router

import (
	"errors"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/prometheus/prometheus/model/labels"
)

// hashLabels feeds ls (sorted) into a Hasher of mode k, once through Add
// and once through AddString, and fails the test if they disagree.
func hashLabels(t testing.TB, k Key, ls labels.Labels) uint64 {
	t.Helper()
	hb, hs := NewHasher(k), NewHasher(k)
	ls.Range(func(l labels.Label) {
		hb.Add([]byte(l.Name), []byte(l.Value))
		hs.AddString(l.Name, l.Value)
	})
	if hb.Sum64() != hs.Sum64() {
		t.Fatalf("Add and AddString disagree for %s", ls)
	}
	return hb.Sum64()
}

func TestParseKey(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Key
		wantErr bool
	}{
		{"series", KeySeries, false},
		{"metric", KeyMetric, false},
		{"", 0, true},
		{"Series", 0, true},
		{"name", 0, true},
	} {
		got, err := ParseKey(tc.in)
		if tc.wantErr {
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "--shard_key") {
				t.Errorf("ParseKey(%q) err = %v, want ErrConfig naming --shard_key", tc.in, err)
			}
			continue
		}
		if err != nil || got != tc.want || got.String() != tc.in {
			t.Errorf("ParseKey(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// sepHash is the routing hash prws promises: xxhash over "name 0xff value
// 0xff" for every label. labels.HashForLabels over all names computes
// exactly that in every labels build; labels.Hash computes it in the
// slicelabels and dedupelabels builds only (the default stringlabels build
// hashes its internal varint encoding instead), so sepHash also checks
// Hash wherever the two agree on a probe.
func sepHash(t testing.TB, ls labels.Labels) uint64 {
	t.Helper()
	names := make([]string, 0, ls.Len())
	ls.Range(func(l labels.Label) { names = append(names, l.Name) })
	want, _ := ls.HashForLabels(nil, names...)
	if labelsHashIsSepFormat() && ls.Hash() != want {
		t.Fatalf("%s: labels.Hash %x != HashForLabels %x", ls, ls.Hash(), want)
	}
	return want
}

// labelsHashIsSepFormat reports whether this build's labels.Hash uses the
// 0xff separator format.
func labelsHashIsSepFormat() bool {
	return labels.FromStrings("a", "b").Hash() == xxhash.Sum64String("a\xffb\xff")
}

func TestHasherSeriesMatchesLabelsHash(t *testing.T) {
	if !labelsHashIsSepFormat() {
		t.Log("labels.Hash uses the stringlabels encoding in this build; comparing with HashForLabels (run with -tags slicelabels to compare with Hash too)")
	}
	fixed := []labels.Labels{
		labels.EmptyLabels(),
		labels.FromStrings("__name__", "up"),
		labels.FromStrings("__name__", "up", "job", "node", "instance", "10.0.0.1:9100"),
		labels.FromStrings("a", "", "b", "x"),
		labels.FromStrings("__name__", "ü∂ƒ", "le", "+Inf", "path", "/a\xffb"),
		labels.FromStrings("__name__", "long", "v", strings.Repeat("x", 3000)),
	}
	for _, ls := range fixed {
		if got, want := hashLabels(t, KeySeries, ls), sepHash(t, ls); got != want {
			t.Errorf("%s: hash %x, labels.Hash %x", ls, got, want)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		ls := randomLabels(rng)
		if got, want := hashLabels(t, KeySeries, ls), sepHash(t, ls); got != want {
			t.Fatalf("%s: hash %x, labels.Hash %x", ls, got, want)
		}
	}
}

// randomLabels returns a label set of 0..12 labels with random names and
// values of random length, sometimes longer than labels.Hash's 1 KiB
// fast-path buffer.
func randomLabels(rng *rand.Rand) labels.Labels {
	n := rng.IntN(13)
	m := make(map[string]string, n)
	for range n {
		m[randomString(rng, 1+rng.IntN(20))] = randomString(rng, rng.IntN(pickLen(rng)))
	}
	if rng.IntN(4) > 0 {
		m["__name__"] = randomString(rng, 1+rng.IntN(30))
	}
	return labels.FromMap(m)
}

func pickLen(rng *rand.Rand) int {
	if rng.IntN(50) == 0 {
		return 2000
	}
	return 40
}

func randomString(rng *rand.Rand, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:./-=\"{}ü"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

func TestHasherMetricMode(t *testing.T) {
	for _, tc := range []struct {
		ls   labels.Labels
		want uint64
	}{
		{labels.FromStrings("__name__", "up"), sepHash(t, labels.FromStrings("__name__", "up"))},
		{labels.FromStrings("__name__", "up", "job", "a"), sepHash(t, labels.FromStrings("__name__", "up"))},
		{labels.FromStrings("__name__", "up", "job", "b", "zz", "c"), sepHash(t, labels.FromStrings("__name__", "up"))},
		{labels.FromStrings("__aaa", "x", "__name__", ""), sepHash(t, labels.FromStrings("__name__", ""))},
		{labels.FromStrings("job", "a"), sepHash(t, labels.EmptyLabels())},
		{labels.EmptyLabels(), xxhash.Sum64(nil)},
	} {
		if got := hashLabels(t, KeyMetric, tc.ls); got != tc.want {
			t.Errorf("%s: metric hash %x, want %x", tc.ls, got, tc.want)
		}
	}
}

// TestHasherWireFormat pins the hashed byte stream independently of the
// Prometheus labels package.
func TestHasherWireFormat(t *testing.T) {
	h := NewHasher(KeySeries)
	h.AddString("__name__", "up")
	h.AddString("job", "a")
	if want := xxhash.Sum64String("__name__\xffup\xffjob\xffa\xff"); h.Sum64() != want {
		t.Fatalf("hash %x, want %x", h.Sum64(), want)
	}
}

func TestHasherResetReuse(t *testing.T) {
	h := NewHasher(KeySeries)
	a := labels.FromStrings("__name__", "a", "x", "1")
	b := labels.FromStrings("__name__", "b")
	for range 3 {
		for _, ls := range []labels.Labels{a, b} {
			h.Reset()
			ls.Range(func(l labels.Label) { h.AddString(l.Name, l.Value) })
			if want := sepHash(t, ls); h.Sum64() != want {
				t.Fatalf("reused Hasher: %s hash %x, want %x", ls, h.Sum64(), want)
			}
		}
	}
}

func TestHasherDoesNotAllocate(t *testing.T) {
	names, values := tenLabels()
	for _, k := range []Key{KeySeries, KeyMetric} {
		h := NewHasher(k)
		allocs := testing.AllocsPerRun(100, func() {
			h.Reset()
			for i := range names {
				h.Add(names[i], values[i])
				h.AddString(string(names[i][:0]), "")
			}
			_ = h.Sum64()
		})
		if allocs != 0 {
			t.Errorf("%v: %v allocations per series, want 0", k, allocs)
		}
	}
}

// tenLabels returns a sorted 10-label series as byte slices.
func tenLabels() (names, values [][]byte) {
	m := map[string]string{
		"__name__": "http_requests_total", "cluster": "eu-west-1", "code": "200",
		"handler": "/api/v1/query", "instance": "10.12.0.17:9090", "job": "prometheus",
		"method": "GET", "namespace": "monitoring", "pod": "prometheus-k8s-0", "service": "prometheus-k8s",
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		names = append(names, []byte(k))
		values = append(values, []byte(m[k]))
	}
	return names, values
}

// TestSumSeriesMatchesHasher: the staged form hashed with
// SumSeries is the KeySeries routing hash, whatever the label lengths.
func TestSumSeriesMatchesHasher(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	sets := []labels.Labels{
		labels.EmptyLabels(),
		labels.FromStrings("__name__", "up", "job", "node"),
		labels.FromStrings("__name__", "long", "v", strings.Repeat("x", 3000)),
	}
	for range 500 {
		sets = append(sets, randomLabels(rng))
	}
	for _, ls := range sets {
		var staged []byte
		ls.Range(func(l labels.Label) {
			staged = append(append(append(append(staged, l.Name...), LabelSep), l.Value...), LabelSep)
		})
		if got, want := SumSeries(staged), hashLabels(t, KeySeries, ls); got != want {
			t.Fatalf("%s: SumSeries %x, Hasher %x", ls, got, want)
		}
	}
}

func TestHasherKey(t *testing.T) {
	for _, k := range []Key{KeySeries, KeyMetric} {
		if got := NewHasher(k).Key(); got != k {
			t.Errorf("NewHasher(%v).Key() = %v", k, got)
		}
	}
}
