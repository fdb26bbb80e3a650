package builder

import (
	"context"
	"errors"
	"testing"
	"time"
)

// stepFor is a Step whose Solved runs fn, as the schedule's would.
func stepFor(fn func(ctx context.Context, res any) error) *Step {
	return &Step{solved: fn}
}

func TestLimitFreesTheSlotOnceSolved(t *testing.T) {
	ctx := liveness(t)
	bRan := make(chan struct{})
	f := &fakeSolver{fn: map[string]func(context.Context, *Step) error{
		"b": func(ctx context.Context, s *Step) error { close(bRan); return nil },
	}}
	l := Limit(f, 1)
	// a holds its result until b has run: with one slot, b can only run
	// because a gave the slot back when it solved.
	aDone := make(chan error, 1)
	go func() {
		_, err := l.Solve(ctx, &Request{Target: "a"}, stepFor(func(ctx context.Context, res any) error {
			select {
			case <-bRan:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}))
		aDone <- err
	}()
	<-waitFor(f, "export a", "start a") // a has its slot
	if _, err := l.Solve(ctx, &Request{Target: "b"}, stepFor(func(context.Context, any) error { return nil })); err != nil {
		t.Fatal(err)
	}
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
}

func TestLimitCancelledWhileWaiting(t *testing.T) {
	ctx, cancel := context.WithCancel(liveness(t))
	block := make(chan struct{})
	f := &fakeSolver{fn: map[string]func(context.Context, *Step) error{
		"a": func(ctx context.Context, s *Step) error { <-block; return nil },
	}}
	l := Limit(f, 1)
	go l.Solve(ctx, &Request{Target: "a"}, stepFor(func(context.Context, any) error { return nil }))
	<-waitFor(f, "start a")
	cancel()
	_, err := l.Solve(ctx, &Request{Target: "b"}, stepFor(func(context.Context, any) error { return nil }))
	var ns errNotStarted
	if !errors.As(err, &ns) {
		t.Errorf("err = %v, want not started", err)
	}
	close(block)
	if f.index("start b") != -1 {
		t.Errorf("b started without a slot")
	}
}

func TestLimitZeroIsUnbounded(t *testing.T) {
	f := &fakeSolver{}
	if Limit(f, 0) != Solver(f) {
		t.Error("Limit(s, 0) wraps s")
	}
}

// waitFor returns a channel closed once one of the events was logged.
func waitFor(f *fakeSolver, events ...string) chan struct{} {
	ch := make(chan struct{})
	go func() {
		for {
			for _, e := range events {
				if f.index(e) >= 0 {
					close(ch)
					return
				}
			}
			time.Sleep(time.Millisecond)
		}
	}()
	return ch
}
