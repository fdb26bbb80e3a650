package engine

import (
	"context"
	"sync/atomic"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/worker"
)

// stoppableWorker makes Prune a no-op once the engine is closed. The
// controller schedules GC on timers it never cancels; one firing after
// Close would otherwise run on closed databases and log errors.
type stoppableWorker struct {
	worker.Worker
	stopped atomic.Bool
}

func (w *stoppableWorker) Prune(ctx context.Context, ch chan client.UsageInfo, opt ...client.PruneInfo) error {
	if w.stopped.Load() {
		return nil
	}
	return w.Worker.Prune(ctx, ch, opt...)
}
