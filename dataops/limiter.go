package dataops

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/prws/prws/adminapi"
	"github.com/prws/prws/internal/datadir"
	"github.com/prws/prws/limiter"
	"github.com/prws/prws/store"
)

// LimiterFromDataDir reads the persisted limiter windows of a stopped
// data dir at now, opening the state file read-only.
func LimiterFromDataDir(data string, now time.Time) (adminapi.LimiterStatus, error) {
	out := adminapi.LimiterStatus{Source: "data-dir"}
	path := datadir.StatePath(data)
	if _, err := os.Stat(path); err != nil {
		return out, fmt.Errorf("no state file: %w", err)
	}
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		return out, err
	}
	defer st.Close()
	s, err := limiter.ReadStatus(st, now)
	if errors.Is(err, store.ErrNoBucket) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	out.Status, out.Enabled = s, s.Hour.Limit > 0 || s.Day.Limit > 0
	return out, nil
}
