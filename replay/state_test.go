package replay

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestBackendStateTransitions(t *testing.T) {
	s := NewBackendState("b")
	now := time.Unix(1700000000, 0)
	steps := []struct {
		fail, force  bool
		wantUp, edge bool
	}{
		{fail: true, wantUp: true},
		{fail: true, wantUp: true},
		{fail: true, wantUp: false, edge: true},
		{fail: true, wantUp: false},
		{fail: false, wantUp: true, edge: true},
		{fail: false, wantUp: true},
		{fail: true, force: true, wantUp: false, edge: true},
		{fail: false, wantUp: true, edge: true},
	}
	for i, st := range steps {
		var edge bool
		if st.fail {
			edge = s.recordFailure("e", now, 3, st.force)
		} else {
			edge = s.recordSuccess(10, now)
		}
		if s.Up() != st.wantUp || edge != st.edge {
			t.Fatalf("step %d: up %v edge %v, want %v %v", i, s.Up(), edge, st.wantUp, st.edge)
		}
	}
}

func TestEWMARate(t *testing.T) {
	r := newEWMARate(0.5, time.Second)
	t0 := time.Unix(0, 0)
	r.add(100, t0)
	if got := r.value(t0.Add(time.Second)); got != 100 {
		t.Fatalf("first interval rate = %v, want 100", got)
	}
	r.add(300, t0.Add(time.Second))
	if got := r.value(t0.Add(2 * time.Second)); got != 200 {
		t.Fatalf("second interval rate = %v, want 200", got)
	}
	if got := r.value(t0.Add(3 * time.Second)); got != 100 {
		t.Fatalf("idle interval rate = %v, want 100", got)
	}
	if got := r.value(t0.Add(1000 * time.Hour)); got != 0 || math.IsNaN(got) {
		t.Fatalf("after a long idle rate = %v, want 0", got)
	}
}

func TestStatusJSON(t *testing.T) {
	s := NewBackendState("tsdb-a")
	s.recordFailure("server returned HTTP status 500", time.Unix(1700000000, 0).UTC(), 3, false)
	b, err := json.Marshal(s.Status())
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"backend":"tsdb-a"`, `"up":true`, `"consecutive_failures":1`, `"last_error":"server returned`, `"last_error_time":"2023-11-14T22:13:20Z"`, `"send_rate_samples_per_second":0`} {
		if !strings.Contains(string(b), key) {
			t.Fatalf("status JSON %s lacks %s", b, key)
		}
	}
	if strings.Contains(string(b), "last_success_time") {
		t.Fatalf("zero time not omitted: %s", b)
	}
}
