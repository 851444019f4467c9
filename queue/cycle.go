package queue

import "sync"

// CommitCycle makes the queues that share it commit in cycles: a queue
// with records to write waits until the commits in progress (of any
// queue of the cycle) are over, then writes and fsyncs together with
// every other queue that was waiting. A request whose records went to
// several queues is answered only when each of them fsynced, so without a
// shared cycle a queue whose fsync returned early starts another for the
// one or two records that arrived meanwhile, while the request still
// waits for the others. With one, the records that arrive during a cycle
// form each queue's next group: fewer, larger groups and fewer fsyncs for
// the same data as queues multiply, each of them still fsynced before any
// of its submitters is answered. The zero value is not usable; build one
// with NewCommitCycle. Safe for concurrent use.
type CommitCycle struct {
	mu      sync.Mutex // guards running, gen and waiting
	ended   *sync.Cond // signalled (Broadcast) when a cycle ends
	running int        // queues writing in the current cycle
	gen     uint64     // cycles ended so far
	waiting int        // callers of enter waiting for the cycle to end
}

// NewCommitCycle returns a cycle for the queues that get it in
// Options.CommitCycle.
func NewCommitCycle() *CommitCycle {
	c := &CommitCycle{}
	c.ended = sync.NewCond(&c.mu)
	return c
}

// enter blocks while a cycle that this caller did not start with is in
// progress, then joins the next one (with every caller that waited for
// the same end). Every enter is followed by one leave.
func (c *CommitCycle) enter() {
	c.mu.Lock()
	if c.running > 0 {
		c.waiting++
		for g := c.gen; c.gen == g; {
			c.ended.Wait()
		}
		c.waiting--
	}
	c.running++
	c.mu.Unlock()
}

// leave ends the caller's part in its cycle; the last one out ends the
// cycle and wakes the queues waiting for it.
func (c *CommitCycle) leave() {
	c.mu.Lock()
	c.running--
	if c.running == 0 {
		c.gen++
		c.ended.Broadcast()
	}
	c.mu.Unlock()
}
