package schedule_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/kiln-build/kiln/builder/request"
	. "github.com/kiln-build/kiln/builder/schedule"
	"github.com/kiln-build/kiln/builder/schedule/schedtest"
)

// stepFor is a Step whose Solved runs fn, as the schedule's would.
func stepFor(fn func(ctx context.Context, res Result) error) *Step {
	return NewStep(nil, fn)
}

func TestLimitFreesTheSlotOnceSolved(t *testing.T) {
	ctx := schedtest.Liveness(t)
	bRan := make(chan struct{})
	f := &schedtest.Solver{Fn: map[string]func(context.Context, *Step) error{
		"b": func(ctx context.Context, s *Step) error { close(bRan); return nil },
	}}
	l := Limit(f, 1)
	// a holds its result until b has run: with one slot, b can only run
	// because a gave the slot back when it solved.
	aDone := make(chan error, 1)
	go func() {
		_, err := l.Solve(ctx, &request.Request{Target: "a"}, stepFor(func(ctx context.Context, res Result) error {
			select {
			case <-bRan:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}))
		aDone <- err
	}()
	<-f.Reached("export a", "start a") // a has its slot
	if _, err := l.Solve(ctx, &request.Request{Target: "b"}, stepFor(func(context.Context, Result) error { return nil })); err != nil {
		t.Fatal(err)
	}
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
}

func TestLimitCancelledWhileWaiting(t *testing.T) {
	ctx, cancel := context.WithCancel(schedtest.Liveness(t))
	block := make(chan struct{})
	f := &schedtest.Solver{Fn: map[string]func(context.Context, *Step) error{
		"a": func(ctx context.Context, s *Step) error { <-block; return nil },
	}}
	l := Limit(f, 1)
	go l.Solve(ctx, &request.Request{Target: "a"}, stepFor(func(context.Context, Result) error { return nil }))
	<-f.Reached("start a")
	cancel()
	_, err := l.Solve(ctx, &request.Request{Target: "b"}, stepFor(func(context.Context, Result) error { return nil }))
	if !IsNotStarted(err) {
		t.Errorf("err = %v, want not started", err)
	}
	close(block)
	if f.Index("start b") != -1 {
		t.Errorf("b started without a slot")
	}
}

func TestLimitZeroIsUnbounded(t *testing.T) {
	f := &schedtest.Solver{}
	if Limit(f, 0) != Solver(f) {
		t.Error("Limit(s, 0) wraps s")
	}
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

func (p *phaseCounter) Solve(ctx context.Context, r *request.Request, s *Step) (map[string]string, error) {
	p.enter()
	p.leave()
	if err := s.Solved(ctx, schedtest.Result(r.Target)); err != nil {
		return nil, err
	}
	p.enter() // the export
	p.leave()
	return nil, nil
}

func manyReqs(n int) []*request.Request {
	var rs []*request.Request
	for i := range n {
		rs = append(rs, &request.Request{Target: fmt.Sprintf("t%03d", i)})
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
		out := run(p, ex, schedtest.Liveness(t), manyReqs(10*DefaultParallel()))
		for _, o := range out {
			if o.Status != Succeeded {
				t.Fatalf("%+v: %s %s: %v", ex, o.Target, o.Status, o.Err)
			}
		}
		if p.peak > ex.Bound() {
			t.Errorf("%+v: %d solves and exports open at once, want at most %d", ex, p.peak, ex.Bound())
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
	f := &schedtest.Solver{Fn: map[string]func(context.Context, *Step) error{}}
	reqs := manyReqs(n)
	for _, r := range reqs {
		f.Fn[r.Target] = func(ctx context.Context, s *Step) error {
			started.Done()
			select {
			case <-all:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	out := run(f, Execution{Mode: FailFast, ParallelSet: true}, schedtest.Liveness(t), reqs)
	for _, o := range out {
		if o.Status != Succeeded {
			t.Fatalf("%s %s: %v", o.Target, o.Status, o.Err)
		}
	}
}
