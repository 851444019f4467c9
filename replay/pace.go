package replay

import "time"

// Reading modes of a worker: one batch at a time, or BatchesInFlight
// batches' worth sent as lanes.
const (
	narrow = iota
	wide
)

const (
	// exploreEvery is how many full batches a worker reads in the mode
	// that delivers faster before it tries the other one once.
	exploreEvery = 64
	// wideGain is how much faster going wide must deliver to be kept: it
	// costs CPU (divideCost a sample), which a backend on the same
	// machine may need more.
	wideGain = 1.5
)

// pacer picks the reading mode of each batch by the delivery rate each
// mode achieved on full batches, those read from a backlog: a backend far
// away takes lanes in parallel and delivers several times faster wide; a
// backend that is slow because it is busy (on the same few cores, say)
// answers lanes proportionally slower, and then one batch at a time
// leaves it the CPU that dividing would take. The worker explores the
// other mode once every exploreEvery full batches, as either rate drifts.
// Owned by the run goroutine.
type pacer struct {
	rate    [2]float64 // samples/s per mode, moving average over full batches; 0: not measured
	full    int        // full batches since the last exploration
	backlog bool       // the last batch found a backlog worth going wide for
}

// choose returns the mode of the next batch: wide only when canWide (the
// backend is slow enough for lanes to be worth trying, see batchLimit)
// and the last batch found a backlog (see record). A queue that keeps up
// with one batch at a time has nothing to gain from lanes but their CPU.
func (p *pacer) choose(canWide bool) int {
	if !canWide || !p.backlog {
		return narrow
	}
	best := narrow
	if p.rate[wide] == 0 || p.rate[wide] > wideGain*p.rate[narrow] {
		best = wide
	}
	if p.full >= exploreEvery {
		p.full = 0
		return 1 - best
	}
	return best
}

// record notes a batch of samples samples read in mode that took took
// from read to acknowledgement. full is queue.Batch.More, set when the
// batch was cut at its limit with records waiting behind it: only such a
// batch says anything of the mode's rate, as a shorter one came from a
// queue that was caught up and its time was spent waiting for data.
// backlog says the queue is behind enough to go wide (Worker.paced): a
// whole wide read waiting behind a batch read narrow, anything waiting
// behind one read wide. So a queue that keeps up one batch at a time,
// its batches full only because each round trip gathers the next, stays
// narrow, and one that fell behind goes wide until it caught up.
func (p *pacer) record(mode, samples int, full, backlog bool, took time.Duration) {
	p.backlog = backlog
	if !full || took <= 0 || samples == 0 {
		return
	}
	r := float64(samples) / took.Seconds()
	if p.rate[mode] == 0 {
		p.rate[mode] = r
	} else {
		p.rate[mode] += (r - p.rate[mode]) / 4
	}
	p.full++
}
