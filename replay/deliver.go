package replay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prws/prws/deadletter"
	"github.com/prws/prws/queue"
)

// run is the worker loop: one batch at a time, in queue order, until ctx
// is cancelled or the queue is closed.
func (w *Worker) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	defer w.wide.drop()
	for ctx.Err() == nil {
		start, retried := w.opts.Now(), w.retried.Load()
		b, err := w.nextBatch(ctx, w.batchLimit())
		if err != nil {
			if w.final(ctx, err) {
				return
			}
			w.log.Error("read queue", "err", err)
			if !w.wait(ctx, 0) {
				return
			}
			continue
		}
		if !w.throttle(ctx, &b) || !w.deliverBatch(ctx, b) {
			w.setLeft(b)
			return
		}
		took := w.opts.Now().Sub(start)
		if w.retried.Load() != retried {
			took = 0 // a retried batch's time is the backend's outage, not its rate
		}
		w.paced(&b, took)
	}
}

// final reports whether err from the Source ends the worker.
func (w *Worker) final(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, queue.ErrClosed)
}

func (w *Worker) setLeft(b queue.Batch) {
	b.Forget()
	w.mu.Lock()
	w.left = &b
	w.mu.Unlock()
}

// wait sleeps the next backoff step, or retryAfter when positive; false
// when ctx ended it.
func (w *Worker) wait(ctx context.Context, retryAfter time.Duration) bool {
	return w.opts.Sleep(ctx, w.bo.Next(retryAfter)) == nil
}

// deliver sends b until it is delivered, or refused and split until
// every part is delivered or parked, then acknowledges it. A batch handed
// out with a Split in flight resumes that split where it was. It returns
// false, leaving b unacknowledged, when ctx ends first or the queue is
// closed.
func (w *Worker) deliver(ctx context.Context, b queue.Batch) bool {
	if !b.Split.IsZero() {
		w.probed = false
		w.log.Info("resuming the split of a refused batch", "first", b.First, "last", b.Last,
			"entries", fmt.Sprintf("%d..%d", b.Split.Lo, b.Split.Hi))
		return w.split(ctx, b, Result{})
	}
	res, ok := w.send(ctx, &b)
	if !ok {
		return false
	}
	if res.Verdict == Delivered {
		return w.ack(ctx, b)
	}
	return w.split(ctx, b, res)
}

// send sends b whole until the backend delivers it (counted here) or
// refuses its content; ok is false when ctx ended first. b must stay
// unchanged until the next send or split.
func (w *Worker) send(ctx context.Context, b *queue.Batch) (res Result, ok bool) {
	w.probed = false
	w.encode(b)
	if res, ok = w.settle(ctx, b.Tenant); ok && res.Verdict == Delivered {
		w.onDelivered(b.Samples)
	}
	return res, ok
}

// settle sends what encode prepared until the backend delivers it or
// refuses its content: retryable answers are retried with backoff, and
// so is a refusal when the backend refuses even an empty request (see
// vouch). ok is false when ctx ended first.
func (w *Worker) settle(ctx context.Context, tenant string) (res Result, ok bool) {
	for {
		if res, ok = w.attempt(ctx, tenant); !ok {
			return res, false
		}
		if res.Verdict == Refused {
			v, ok := w.vouch(ctx, tenant, res)
			if !ok {
				return res, false
			}
			if v.Verdict == Delivered {
				return res, true
			}
			res = v
		}
		if res.Verdict == Delivered {
			return res, true
		}
		w.onRetry(res)
		if !w.wait(ctx, RetryAfter(res.Err)) {
			return res, false
		}
	}
}

func (w *Worker) onDelivered(samples int) {
	w.m.samplesSent.Add(float64(samples))
	w.m.refusing.Set(0)
	w.bo.Reset()
	w.report(true)
	if w.opts.State.recordSuccess(samples, w.opts.Now()) {
		w.m.setUp(true)
		w.log.Info("backend healthy again")
	}
}

func (w *Worker) onRetry(res Result) {
	w.m.retries.Inc()
	w.retried.Add(1)
	w.report(false)
	msg := w.redact(res.Err.Error())
	if res.Down {
		w.m.refusing.Set(1)
	}
	if w.opts.State.recordFailure(msg, w.opts.Now(), w.opts.RetryTimes, res.Down) {
		w.m.setUp(false)
		w.log.Warn("backend unhealthy; retrying until it recovers", "err", msg, "code", res.Code)
		return
	}
	w.log.Debug("send failed; retrying", "err", msg, "code", res.Code)
}

// onDeadLetter counts and logs a part of batch b the backend refused
// alone, samples samples, about to be parked.
func (w *Worker) onDeadLetter(b queue.Batch, samples int, res Result) {
	w.m.dlBatches.Inc()
	w.m.dlSamples.Add(float64(samples))
	w.bo.Reset()
	w.report(true)
	if w.opts.State.recordSuccess(0, w.opts.Now()) {
		w.m.setUp(true)
		w.log.Info("backend healthy again")
	}
	w.log.Warn("backend refused data; dead-lettered", "status", res.Status,
		"err", w.redact(res.Err.Error()), "first", b.First, "last", b.Last, "samples", samples)
}

// park writes body, the part of batch b the backend refused alone with
// res (samples samples, a remote-write 1.0 WriteRequest), to the
// dead-letter log, retrying a failed write (a full disk) until it
// succeeds: the split moves on only once it is parked. False when ctx
// ended first.
func (w *Worker) park(ctx context.Context, b queue.Batch, body []byte, samples int, res Result) bool {
	w.onDeadLetter(b, samples, res)
	e := deadletter.Entry{
		Time: w.opts.Now(), Backend: w.ep.Name, Status: res.Status, Message: deadLetterMessage(res),
		Samples: samples, First: b.First, Last: b.Last, Tenant: b.Tenant, Body: body,
	}
	for {
		err := w.opts.DeadLetters.Write(e)
		if err == nil {
			w.bo.Reset()
			return true
		}
		w.log.Error("write dead letter; retrying", "err", err)
		if !w.wait(ctx, 0) {
			return false
		}
	}
}

func deadLetterMessage(res Result) string {
	var he *HTTPError
	if errors.As(res.Err, &he) {
		return he.Message
	}
	return res.Err.Error()
}

// ack acknowledges b, retrying a failed Ack; false when ctx ended first or
// the queue is closed. It gives up on b after queue.ErrAckMismatch: the
// run loop then gets the queue's batch in flight from NextBatch.
func (w *Worker) ack(ctx context.Context, b queue.Batch) bool {
	for {
		err := w.src.Ack(b)
		if err == nil {
			w.bo.Reset()
			return true
		}
		if w.final(ctx, err) {
			return false
		}
		if errors.Is(err, queue.ErrAckMismatch) {
			// Retrying cannot help; the queue hands out its in-flight
			// batch again and it is resent (at-least-once).
			w.log.Error("acknowledge batch refused; resending the batch in flight", "err", err)
			return true
		}
		w.log.Error("acknowledge batch; retrying", "err", err, "first", b.First, "last", b.Last)
		if !w.wait(ctx, 0) {
			return false
		}
	}
}

// report passes a send outcome to Options.OnResult, if set.
func (w *Worker) report(ok bool) {
	if w.opts.OnResult != nil {
		w.opts.OnResult(ok)
	}
}
