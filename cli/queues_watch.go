package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/prws/prws/adminapi"
)

// clearScreen moves the cursor home and clears the terminal.
const clearScreen = "\x1b[H\x1b[2J"

// watchQueues is `prws queues --watch`: a frame every --interval until
// Ctrl-C, redrawn in place on a terminal, appended as plain text
// otherwise.
func watchQueues(c *cli.Context) error {
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt)
	defer stop()
	load := func() ([]adminapi.QueueStatus, string, error) {
		qs, err := loadQueues(c)
		source := "data dir " + c.String("data-dir")
		if len(qs) > 0 && qs[0].Source == "daemon" {
			source = "daemon"
		}
		return qs, source, err
	}
	return watchLoop(ctx, c.App.Writer, load, durationOf(c, "interval"), isTerminal(c.App.Writer), 0)
}

// watchLoop draws a frame every interval until ctx ends or frames frames
// were drawn (0: no limit). A failed load is shown in the frame and
// retried; the watch goes on while the daemon restarts.
func watchLoop(ctx context.Context, w io.Writer, load func() ([]adminapi.QueueStatus, string, error),
	interval time.Duration, tty bool, frames int) error {
	if interval <= 0 {
		return fmt.Errorf("--interval must be positive")
	}
	watch := NewWatch()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for n := 1; ; n++ {
		drawFrame(w, watch, load, tty)
		if frames > 0 && n >= frames {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// drawFrame renders one frame into a buffer and writes it at once, so a
// terminal never shows half a frame.
func drawFrame(w io.Writer, watch *Watch, load func() ([]adminapi.QueueStatus, string, error), tty bool) {
	var buf bytes.Buffer
	if tty {
		buf.WriteString(clearScreen)
	}
	now := time.Now()
	qs, source, err := load()
	if err != nil {
		fmt.Fprintf(&buf, "prws queues — %s — %v\n", now.Format("15:04:05"), err)
	} else {
		WriteWatchFrame(&buf, source, watch.Update(qs, now), now)
	}
	if !tty {
		buf.WriteString("\n")
	}
	w.Write(buf.Bytes())
}

// isTerminal reports whether w is a terminal (not merely a character
// device such as /dev/null).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}
