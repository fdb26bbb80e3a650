package schedule

import (
	"context"
	"sync"

	"github.com/kiln-build/kiln/builder/request"
)

// Limit bounds how many solves of s run at once (--jobs parallel=N). A
// solve gives its slot back as soon as it has solved: holding a result
// for dependents, or waiting for the others under defer-output, takes no
// slot, so any bound works with target: chains. Its export takes a slot
// again: an export streams the whole output (an OCI or docker tar, a local
// tree) through the session, and gRPC buffers up to a flow-control window
// of it per stream, so unbounded exports are what made memory grow with
// the number of targets. Neither phase waits on another target while it
// holds a slot, so the bound cannot deadlock.
func Limit(s Solver, n int) Solver {
	if n <= 0 {
		return s
	}
	return &limiter{s: s, slots: make(chan struct{}, n)}
}

type limiter struct {
	s     Solver
	slots chan struct{}
}

// errNotStarted marks a solve that never got a slot.
type errNotStarted struct{ errAborted }

func (l *limiter) Solve(ctx context.Context, r *request.Request, step *Step) (map[string]string, error) {
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, errNotStarted{errAborted{context.Cause(ctx)}}
	}
	var mu sync.Mutex
	held := true
	free := func() {
		mu.Lock()
		defer mu.Unlock()
		if held {
			<-l.slots
			held = false
		}
	}
	defer free()
	inner := *step
	inner.solved = func(ctx context.Context, res Result) error {
		free()
		if err := step.solved(ctx, res); err != nil {
			return err
		}
		select {
		case l.slots <- struct{}{}:
			mu.Lock()
			held = true
			mu.Unlock()
			return nil
		case <-ctx.Done():
			return errAborted{context.Cause(ctx)}
		}
	}
	return l.s.Solve(ctx, r, &inner)
}
