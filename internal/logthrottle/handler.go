package logthrottle

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Options configure New. The zero value works.
type Options struct {
	// Interval is the least time between two lines of one kind; default
	// 10s.
	Interval time.Duration
	// Level is the lowest level throttled; default slog.LevelWarn.
	Level slog.Level
}

// Handler rate-limits repeated warnings and errors; see the package doc.
type Handler struct {
	next slog.Handler
	st   *state
	key  string // the attributes and groups added to this handler
}

// state is shared by a Handler and the handlers derived from it.
type state struct {
	interval time.Duration
	level    slog.Level

	mu    sync.Mutex       // guards kinds
	kinds map[string]*kind // by key + message
}

// kind is one repeated line.
type kind struct {
	last       time.Time   // when the last line of this kind was written
	suppressed int         // copies not written since last
	timer      *time.Timer // writes the summary of suppressed copies; nil when none pending
}

// New returns a Handler writing to next.
func New(next slog.Handler, o Options) *Handler {
	if o.Interval <= 0 {
		o.Interval = 10 * time.Second
	}
	if o.Level == 0 {
		o.Level = slog.LevelWarn
	}
	return &Handler{next: next, st: &state{interval: o.Interval, level: o.Level, kinds: map[string]*kind{}}}
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	key := h.key
	for _, a := range as {
		key += "\x00" + a.String()
	}
	return &Handler{next: h.next.WithAttrs(as), st: h.st, key: key}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), st: h.st, key: h.key + "\x00g:" + name}
}

// Handle implements slog.Handler: it writes r, with the count of the
// copies suppressed since the last line of its kind, or counts it.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < h.st.level {
		return h.next.Handle(ctx, r)
	}
	n, write := h.st.admit(h.key+"\x00m:"+r.Message, r, h.next)
	if !write {
		return nil
	}
	if n > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeated", n), slog.Duration("repeated_within", h.st.interval))
	}
	return h.next.Handle(ctx, r)
}

// admit decides whether a record of kind key is written now and returns
// the copies suppressed before it. A suppressed record arms the summary
// timer of its kind.
func (s *state) admit(key string, r slog.Record, next slog.Handler) (suppressed int, write bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.kinds[key]
	if k == nil {
		k = &kind{}
		s.kinds[key] = k
	}
	if k.last.IsZero() || r.Time.Sub(k.last) >= s.interval {
		n := k.suppressed
		k.last, k.suppressed = r.Time, 0
		if k.timer != nil {
			k.timer.Stop()
			k.timer = nil
		}
		return n, true
	}
	k.suppressed++
	if k.timer == nil {
		summary := r.Clone()
		k.timer = time.AfterFunc(s.interval-r.Time.Sub(k.last), func() { s.summarize(key, summary, next) })
	}
	return 0, false
}

// summarize writes the count of the copies of kind key suppressed since
// its last line, when no new copy wrote it first.
func (s *state) summarize(key string, r slog.Record, next slog.Handler) {
	s.mu.Lock()
	k := s.kinds[key]
	n := 0
	if k != nil && k.timer != nil {
		n, k.suppressed, k.timer, k.last = k.suppressed, 0, nil, time.Now()
	}
	s.mu.Unlock()
	if n == 0 {
		return
	}
	out := slog.NewRecord(time.Now(), r.Level, r.Message, 0)
	out.AddAttrs(slog.Int("repeated", n), slog.Duration("repeated_within", s.interval))
	_ = next.Handle(context.Background(), out)
}
