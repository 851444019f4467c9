package dataops

import (
	"os"
	"testing"
	"time"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/store"
)

func TestBackendLossAndDrop(t *testing.T) {
	data := t.TempDir()
	a := addBackend(t, data, "http://tsdb-a:9090/api/v1/write", 7)
	b := addBackend(t, data, "http://tsdb-b:9090/api/v1/write", 3)
	addDeadLetter(t, data, a, time.Now(), 2, 2)
	register(t, data, a, b)
	loss, err := BackendLoss(data, a)
	if err != nil {
		t.Fatal(err)
	}
	if loss.PendingSamples != 7 || loss.DeadLetters.Files != 1 || loss.DeadLetters.Samples != 4 || len(loss.Queues) != 1 {
		t.Fatalf("loss %+v", loss)
	}
	if err := DropBackend(data, a.ID); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{datadir.BackendDir(data, a.ID), datadir.DeadLetterDir(data, a.ID)} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s still there: %v", dir, err)
		}
	}
	if ids, _ := datadir.Backends(data); len(ids) != 1 || ids[0] != b.ID {
		t.Errorf("backends left %v, want only %s", ids, b.ID)
	}
	if conf, _ := LastConfigured(data); conf[a.ID] || !conf[b.ID] {
		t.Errorf("registry after drop: %v", conf)
	}
}

func TestLastConfigured(t *testing.T) {
	data := t.TempDir()
	if conf, err := LastConfigured(data); err != nil || conf != nil {
		t.Fatalf("no state file: %v %v", conf, err)
	}
	st, err := store.Open(datadir.StatePath(data), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	st.PutBackend(store.BackendRecord{ID: "old", LastSeen: now.Add(-time.Hour)})
	st.PutBackend(store.BackendRecord{ID: "x", LastSeen: now})
	st.PutBackend(store.BackendRecord{ID: "y", LastSeen: now.Add(-time.Second)})
	st.Close()
	conf, err := LastConfigured(data)
	if err != nil || !conf["x"] || !conf["y"] || conf["old"] {
		t.Errorf("configured %v, %v", conf, err)
	}
}

func TestMoveBackend(t *testing.T) {
	data := t.TempDir()
	a := addBackend(t, data, "http://old-host:9090/api/v1/write", 5)
	addDeadLetter(t, data, a, time.Now(), 1, 1)
	to, err := MoveBackend(data, a, "http://new-host:9090/api/v1/write")
	if err != nil {
		t.Fatal(err)
	}
	info, err := datadir.ReadBackendInfo(data, to.ID)
	if err != nil || info.ID != to.ID || info.URL != "http://new-host:9090/api/v1/write" || info.Shards != 1 {
		t.Fatalf("backend.json %+v, %v", info, err)
	}
	qs, err := QueuesFromDataDir(data, nil)
	if err != nil || len(qs) != 1 || qs[0].BackendID != to.ID || qs[0].PendingSamples != 5 || qs[0].DeadLetters != 1 {
		t.Fatalf("queues after move %+v, %v", qs, err)
	}
	if _, err := MoveBackend(data, to, "http://NEW-host:9090/api/v1/write"); err == nil {
		t.Error("move onto the same id succeeded")
	}
	b := addBackend(t, data, "http://other:9090/api/v1/write", 0)
	if _, err := MoveBackend(data, b, "http://new-host:9090/api/v1/write"); err == nil {
		t.Error("move onto an existing queue directory succeeded")
	}
}

func register(t *testing.T, data string, refs ...adminapi.BackendRef) {
	t.Helper()
	st, err := store.Open(datadir.StatePath(data), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, r := range refs {
		if err := st.PutBackend(store.BackendRecord{ID: r.ID, URL: r.URL}); err != nil {
			t.Fatal(err)
		}
	}
}
