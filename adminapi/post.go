package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ErrDisabled is returned by Post when the daemon answers 403: the
// endpoint changes state and the daemon was not started with the flag
// that allows it (the error's text, from the daemon, names the flag).
var ErrDisabled = errors.New("the running daemon refused")

// Post sends req as JSON to base+path and decodes the JSON answer into
// v. A non-200 answer is an error carrying the daemon's message.
func Post(ctx context.Context, base, path string, req, v any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if resp.StatusCode == http.StatusForbidden {
			return fmt.Errorf("%w: %s", ErrDisabled, bytes.TrimSpace(msg))
		}
		return fmt.Errorf("%s%s: %s: %s", base, path, resp.Status, bytes.TrimSpace(msg))
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
