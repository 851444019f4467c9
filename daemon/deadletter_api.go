package daemon

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/dataops"
	"github.com/prws/prws/deadletter"
	"github.com/prws/prws/internal/datadir"
)

// registerDeadLetterAPI adds the dead-letter and limiter admin endpoints
// to mux (the ones that change state only with --web.enable-admin-api) and the backlog gauges (BacklogCollector) to the
// daemon's registry.
func (d *Daemon) registerDeadLetterAPI(mux *http.ServeMux) {
	mux.HandleFunc("GET "+adminapi.PathDeadLetter, d.serveDeadLetters)
	mux.HandleFunc("POST "+adminapi.PathDeadLetterReplay, d.adminOnly("dead-letter replay", d.serveDeadLetterReplay))
	mux.HandleFunc("POST "+adminapi.PathDeadLetterPurge, d.adminOnly("dead-letter purge", d.serveDeadLetterPurge))
	mux.HandleFunc("GET "+adminapi.PathLimiter, d.serveLimiter)
	if err := d.reg.Register(NewBacklogCollector(d.Queues, d.cfg.MaxQueueBytes)); err != nil {
		d.log.Warn("backlog gauges not registered", "err", err)
	}
}

// deadLetterLogs returns the logs of every open sink (configured or
// retired by a reload: their replay workers write them) plus those of
// backends unconfigured since start that have a dead-letter directory
// (nobody writes those, so opening them is safe).
func (d *Daemon) deadLetterLogs() (dataops.DeadLetterLogs, error) {
	t := d.current()
	logs := dataops.DeadLetterLogs{}
	for _, s := range append(slices.Clone(t.sinks), t.retired...) {
		logs[s.backend.ID] = s.dead
	}
	for _, id := range d.orphans {
		dir := datadir.DeadLetterDir(d.cfg.DataDir, id)
		if _, err := os.Stat(dir); err != nil || logs[id] != nil {
			continue
		}
		l, err := deadletter.Open(dir)
		if err != nil {
			return nil, err
		}
		logs[id] = l
	}
	return logs, nil
}

// backendRefs are every backend the daemon knows: configured ones first,
// then retired ones, then those unconfigured since start.
func (d *Daemon) backendRefs() []adminapi.BackendRef {
	t := d.current()
	var refs []adminapi.BackendRef
	seen := map[string]bool{}
	for _, s := range append(slices.Clone(t.sinks), t.retired...) {
		cur, _ := s.current()
		refs = append(refs, adminapi.BackendRef{ID: s.backend.ID, URL: cur.Name})
		seen[s.backend.ID] = true
	}
	for _, id := range d.orphans {
		if seen[id] {
			continue
		}
		ref := adminapi.BackendRef{ID: id}
		if info, err := datadir.ReadBackendInfo(d.cfg.DataDir, id); err == nil {
			ref.URL = info.URL
		}
		refs = append(refs, ref)
	}
	return refs
}

// resolveID turns a backend id or URL into an id; "" stays "".
func (d *Daemon) resolveID(arg string) (string, error) {
	if arg == "" {
		return "", nil
	}
	ref, err := adminapi.ResolveBackend(arg, d.backendRefs())
	return ref.ID, err
}

// serveDeadLetters lists dead letters (?backend= narrows), or with
// ?name= shows one with its first ?series= series (default 20).
func (d *Daemon) serveDeadLetters(w http.ResponseWriter, r *http.Request) {
	logs, all, err := d.listDeadLetters()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	sel := adminapi.Selector{All: true}
	if sel.Backend, err = d.resolveID(r.URL.Query().Get("backend")); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	if name := r.URL.Query().Get("name"); name != "" {
		sel.All, sel.Names = false, []string{name}
	}
	chosen, err := sel.Select(all, time.Now())
	if err != nil {
		http.Error(w, err.Error(), statusOf(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if sel.All {
		adminapi.WriteJSON(w, chosen)
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("series"))
	detail, err := dataops.ShowDeadLetter(logs, chosen[0], cmp.Or(limit, 20))
	if err != nil {
		http.Error(w, err.Error(), statusOf(err))
		return
	}
	adminapi.WriteJSON(w, detail)
}

func (d *Daemon) listDeadLetters() (dataops.DeadLetterLogs, []adminapi.DeadLetter, error) {
	logs, err := d.deadLetterLogs()
	if err != nil {
		return nil, nil, err
	}
	all, err := dataops.ListDeadLetters(logs)
	return logs, all, err
}

// serveDeadLetterReplay re-queues the chosen dead letters for their
// backend (or the "to" backend), each series into the shard ingest routes
// it to, and removes each once it is durable there (dataops.Replay).
func (d *Daemon) serveDeadLetterReplay(w http.ResponseWriter, r *http.Request) {
	var req adminapi.ReplayRequest
	logs, chosen, ok := d.chooseDeadLetters(w, r, &req, &req.Selector)
	if !ok {
		return
	}
	to, err := d.resolveID(req.To)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	res := dataops.Replay(r.Context(), logs, chosen, to, d.replayTargets)
	d.log.Info("dead letters replayed", "replayed", len(res.Replayed), "failed", len(res.Errors))
	w.Header().Set("Content-Type", "application/json")
	adminapi.WriteJSON(w, res)
}

// replayTargets is the dataops.Targets of the running daemon: the routed
// queues of a configured backend and the ring's shard key.
func (d *Daemon) replayTargets(id string) (dataops.Shards, error) {
	for _, s := range d.current().sinks {
		if s.backend.ID != id {
			continue
		}
		out := dataops.Shards{Key: d.cfg.ShardKey}
		for _, q := range s.queues {
			if q.routed {
				out.Queues = append(out.Queues, q.q)
			}
		}
		if len(out.Queues) > 0 {
			return out, nil
		}
	}
	return dataops.Shards{}, fmt.Errorf("backend %s is not configured; pass --to", id)
}

// serveDeadLetterPurge removes the chosen dead letters.
func (d *Daemon) serveDeadLetterPurge(w http.ResponseWriter, r *http.Request) {
	var sel adminapi.Selector
	logs, chosen, ok := d.chooseDeadLetters(w, r, &sel, &sel)
	if !ok {
		return
	}
	res := dataops.Purge(logs, chosen)
	d.log.Info("dead letters purged", "purged", len(res.Purged), "samples", res.Samples, "failed", len(res.Errors))
	w.Header().Set("Content-Type", "application/json")
	adminapi.WriteJSON(w, res)
}

// chooseDeadLetters decodes the request body into req, whose Selector is
// sel (its Backend may be an id or URL), and selects the dead letters.
// It answers the request itself and returns false on any error.
func (d *Daemon) chooseDeadLetters(w http.ResponseWriter, r *http.Request, req any, sel *adminapi.Selector) (dataops.DeadLetterLogs, []adminapi.DeadLetter, bool) {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(req); err != nil {
		http.Error(w, "bad request body: "+err.Error(), http.StatusBadRequest)
		return nil, nil, false
	}
	var err error
	if sel.Backend, err = d.resolveID(sel.Backend); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return nil, nil, false
	}
	logs, all, err := d.listDeadLetters()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return nil, nil, false
	}
	chosen, err := sel.Select(all, time.Now())
	if err != nil {
		http.Error(w, err.Error(), statusOf(err))
		return nil, nil, false
	}
	return logs, chosen, true
}

func (d *Daemon) serveLimiter(w http.ResponseWriter, _ *http.Request) {
	st := adminapi.LimiterStatus{Source: "daemon"}
	if l := d.extras.limiter; l != nil {
		st.Enabled, st.Status = true, l.Status()
	}
	w.Header().Set("Content-Type", "application/json")
	adminapi.WriteJSON(w, st)
}

// statusOf maps a selection or read error to an HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return http.StatusNotFound
	case errors.Is(err, adminapi.ErrNoSelection), errors.Is(err, deadletter.ErrBadName):
		return http.StatusBadRequest
	case errors.Is(err, deadletter.ErrCorrupt):
		return http.StatusUnprocessableEntity
	}
	return http.StatusConflict
}
