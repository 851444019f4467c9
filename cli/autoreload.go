package cli

import (
	"bytes"
	"crypto/sha256"
	"os"
	"time"
)

// configWatch notices changes of --config.file by content, for
// --config.auto-reload-interval (as Prometheus' option of that name): a
// ConfigMap update in Kubernetes swaps the file behind a symlink, so the
// content, not the modification time, is compared. Not safe for
// concurrent use; main's signal loop owns it.
type configWatch struct {
	path string
	last []byte // sha256 of the content last seen; nil when unreadable
}

// newConfigWatch remembers the current content of path.
func newConfigWatch(path string) *configWatch {
	w := &configWatch{path: path}
	w.last = w.sum()
	return w
}

// changed reports whether the content differs from the last call (or
// from the start). An unreadable file is a change once it becomes
// readable again; the reload then says what is wrong with it.
func (w *configWatch) changed() bool {
	now := w.sum()
	if now == nil || bytes.Equal(now, w.last) {
		return false
	}
	w.last = now
	return true
}

func (w *configWatch) sum() []byte {
	b, err := os.ReadFile(w.path)
	if err != nil {
		return nil
	}
	s := sha256.Sum256(b)
	return s[:]
}

// reloadTicker returns the channel of the auto-reload ticks and its stop
// function; a nil channel (never ready) when auto-reload is off.
func reloadTicker(file string, every time.Duration) (<-chan time.Time, func()) {
	if file == "" || every <= 0 {
		return nil, func() {}
	}
	t := time.NewTicker(every)
	return t.C, t.Stop
}
