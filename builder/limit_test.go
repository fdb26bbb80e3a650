package builder

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
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

// phaseCounter is a solver that counts the solves and exports open at
// once: a solve from its start to Solved, an export from Solved's return
// to the end. Each phase yields the processor many times, so without a
// bound many of them overlap.
type phaseCounter struct {
	mu         sync.Mutex
	open, peak int
}

func (p *phaseCounter) enter() {
	p.mu.Lock()
	p.open++
	p.peak = max(p.peak, p.open)
	p.mu.Unlock()
	for range 200 {
		runtime.Gosched()
	}
}

func (p *phaseCounter) leave() {
	p.mu.Lock()
	p.open--
	p.mu.Unlock()
}

func (p *phaseCounter) Solve(ctx context.Context, r *Request, s *Step) (map[string]string, error) {
	p.enter()
	p.leave()
	if err := s.Solved(ctx, r.Target); err != nil {
		return nil, err
	}
	p.enter() // the export
	p.leave()
	return nil, nil
}

func manyReqs(n int) []*Request {
	var rs []*Request
	for i := range n {
		rs = append(rs, &Request{Target: fmt.Sprintf("t%03d", i)})
	}
	return rs
}

func TestScheduleBoundsSolvesAndExports(t *testing.T) {
	for _, ex := range []Execution{
		{Mode: FailFast, Parallel: 3, ParallelSet: true},
		{Mode: DeferOutput, Parallel: 2, ParallelSet: true}, // every export waits for all solves, then they all go
		{Mode: FailFast}, // no parallel=N: the default bound
	} {
		p := &phaseCounter{}
		out := Schedule{Solver: p, Exec: ex}.Run(liveness(t), manyReqs(10*DefaultParallel()))
		for _, o := range out {
			if o.Status != Succeeded {
				t.Fatalf("%+v: %s %s: %v", ex, o.Target, o.Status, o.Err)
			}
		}
		if p.peak > ex.limit() {
			t.Errorf("%+v: %d solves and exports open at once, want at most %d", ex, p.peak, ex.limit())
		}
	}
}

func TestScheduleExplicitZeroIsUnbounded(t *testing.T) {
	// -j 0 is no bound, as in buildx: more targets than the default bound
	// all solve at once (each waits until every one has started).
	n := DefaultParallel() + 1
	var started sync.WaitGroup
	started.Add(n)
	all := make(chan struct{})
	go func() { started.Wait(); close(all) }()
	f := &fakeSolver{fn: map[string]func(context.Context, *Step) error{}}
	reqs := manyReqs(n)
	for _, r := range reqs {
		f.fn[r.Target] = func(ctx context.Context, s *Step) error {
			started.Done()
			select {
			case <-all:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	out := Schedule{Solver: f, Exec: Execution{Mode: FailFast, ParallelSet: true}}.Run(liveness(t), reqs)
	for _, o := range out {
		if o.Status != Succeeded {
			t.Fatalf("%s %s: %v", o.Target, o.Status, o.Err)
		}
	}
}
