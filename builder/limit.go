package builder

import (
	"context"
	"sync"
)

// Limit bounds how many solves of s run at once (--jobs parallel=N). A
// solve gives its slot back as soon as it has solved: holding a result
// for dependents, or waiting for the others under defer-output, takes no
// slot, so any bound works with target: chains.
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

func (l *limiter) Solve(ctx context.Context, r *Request, step *Step) (map[string]string, error) {
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, errNotStarted{errAborted{context.Cause(ctx)}}
	}
	var once sync.Once
	free := func() { once.Do(func() { <-l.slots }) }
	defer free()
	inner := *step
	inner.solved = func(ctx context.Context, res any) error {
		free()
		return step.solved(ctx, res)
	}
	return l.s.Solve(ctx, r, &inner)
}
