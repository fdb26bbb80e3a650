package builder

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSolver runs a function per target in place of a BuildKit solve; it
// stands in for a node only in these scheduling tests.
type fakeSolver struct {
	mu       sync.Mutex
	events   []string
	inFlight int
	maxFly   int
	fn       map[string]func(ctx context.Context, s *Step) error
}

func (f *fakeSolver) log(e string) {
	f.mu.Lock()
	f.events = append(f.events, e)
	f.mu.Unlock()
}

func (f *fakeSolver) index(e string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.events {
		if x == e {
			return i
		}
	}
	return -1
}

func (f *fakeSolver) Solve(ctx context.Context, r *Request, s *Step) (map[string]string, error) {
	f.mu.Lock()
	f.inFlight++
	f.maxFly = max(f.maxFly, f.inFlight)
	f.mu.Unlock()
	f.log("start " + r.Target)
	var err error
	if fn := f.fn[r.Target]; fn != nil {
		err = fn(ctx, s)
	}
	f.mu.Lock()
	f.inFlight--
	f.mu.Unlock()
	if err != nil {
		f.log("fail " + r.Target)
		return nil, err
	}
	// The result is what dependents receive as their input.
	if err := s.Solved(ctx, "result of "+r.Target); err != nil {
		f.log("held back " + r.Target)
		return nil, err
	}
	f.log("export " + r.Target)
	return map[string]string{"target": r.Target}, nil
}

func reqs(deps map[string][]string, names ...string) []*Request {
	var out []*Request
	for _, n := range names {
		r := &Request{Target: n}
		for i, d := range deps[n] {
			if r.Deps == nil {
				r.Deps = map[string]string{}
			}
			r.Deps[fmt.Sprintf("ctx%d", i)] = d
		}
		out = append(out, r)
	}
	return out
}

// liveness bounds a test that would otherwise hang on a scheduling bug.
func liveness(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func statuses(out []Outcome) string {
	var s []string
	for _, o := range out {
		s = append(s, o.Target+"="+string(o.Status))
	}
	return strings.Join(s, " ")
}

func TestScheduleRunsAllConcurrently(t *testing.T) {
	// Each solve waits until all three have started: only a concurrent
	// schedule gets through.
	var started sync.WaitGroup
	started.Add(3)
	wait := func(ctx context.Context, s *Step) error {
		started.Done()
		done := make(chan struct{})
		go func() { started.Wait(); close(done) }()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f := &fakeSolver{fn: map[string]func(context.Context, *Step) error{"a": wait, "b": wait, "c": wait}}
	out := Schedule{Solver: f, Exec: Execution{Mode: FailFast}}.Run(liveness(t), reqs(nil, "c", "a", "b"))
	if got := statuses(out); got != "a=succeeded b=succeeded c=succeeded" {
		t.Fatalf("outcomes %s", got)
	}
	if out[0].Response["target"] != "a" {
		t.Errorf("response %v", out[0].Response)
	}
}

func TestScheduleParallelBound(t *testing.T) {
	slow := func(ctx context.Context, s *Step) error { time.Sleep(20 * time.Millisecond); return nil }
	f := &fakeSolver{fn: map[string]func(context.Context, *Step) error{"a": slow, "b": slow, "c": slow, "d": slow, "e": slow}}
	out := Schedule{Solver: f, Exec: Execution{Mode: FailFast, Parallel: 2, ParallelSet: true}}.Run(liveness(t), reqs(nil, "a", "b", "c", "d", "e"))
	if got := statuses(out); strings.Count(got, "succeeded") != 5 {
		t.Fatalf("outcomes %s", got)
	}
	if f.maxFly > 2 {
		t.Errorf("%d solves ran at once with parallel=2", f.maxFly)
	}
}

func TestScheduleDependencyOrder(t *testing.T) {
	f := &fakeSolver{}
	var got any
	f.fn = map[string]func(context.Context, *Step) error{
		"app": func(ctx context.Context, s *Step) error { got = s.Inputs()["base"]; return nil },
	}
	// parallel=1 with a chain: the dependency must not hold the only slot
	// while it waits for its dependent.
	out := Schedule{Solver: f, Exec: Execution{Mode: FailFast, Parallel: 1, ParallelSet: true}}.Run(liveness(t),
		reqs(map[string][]string{"app": {"base"}, "test": {"app"}}, "test", "app", "base"))
	if s := statuses(out); s != "app=succeeded base=succeeded test=succeeded" {
		t.Fatalf("outcomes %s", s)
	}
	if got != "result of base" {
		t.Errorf("app's input = %v", got)
	}
	// base's result is held (not exported) until app has finished with it.
	if !(f.index("start base") < f.index("start app") && f.index("export app") < f.index("export base")) {
		t.Errorf("events out of order: %v", f.events)
	}
}

func TestScheduleFailFast(t *testing.T) {
	f := &fakeSolver{fn: map[string]func(context.Context, *Step) error{
		"bad":  func(ctx context.Context, s *Step) error { return errors.New("exit code: 1") },
		"slow": func(ctx context.Context, s *Step) error { <-ctx.Done(); return ctx.Err() },
	}}
	// unbounded (-j 0): every target starts, so slow is aborted, not
	// "not started" (under the default bound it may not get a slot before
	// bad fails)
	out := Schedule{Solver: f, Exec: Execution{Mode: FailFast, ParallelSet: true}}.Run(liveness(t),
		reqs(map[string][]string{"after": {"bad"}}, "bad", "slow", "after"))
	if s := statuses(out); s != "after=aborted bad=failed slow=aborted" {
		t.Fatalf("outcomes %s", s)
	}
	if f.index("start after") != -1 {
		t.Errorf("a target using a failed target's result started: %v", f.events)
	}
}

func TestScheduleDeferError(t *testing.T) {
	failed := make(chan struct{})
	f := &fakeSolver{fn: map[string]func(context.Context, *Step) error{
		"bad": func(ctx context.Context, s *Step) error { defer close(failed); return errors.New("exit code: 1") },
		// good only finishes after bad failed: it must not be cancelled.
		"good": func(ctx context.Context, s *Step) error {
			select {
			case <-failed:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
	}}
	out := Schedule{Solver: f, Exec: Execution{Mode: DeferError}}.Run(liveness(t),
		reqs(map[string][]string{"uses-bad": {"bad"}}, "bad", "good", "uses-bad"))
	if s := statuses(out); s != "bad=failed good=succeeded uses-bad=aborted" {
		t.Fatalf("outcomes %s", s)
	}
	if !strings.Contains(out[2].Err.Error(), "dependency target failed") {
		t.Errorf("uses-bad error: %v", out[2].Err)
	}
}

func TestScheduleDeferOutput(t *testing.T) {
	solvedGood := make(chan struct{})
	f := &fakeSolver{fn: map[string]func(context.Context, *Step) error{
		"good": func(ctx context.Context, s *Step) error { close(solvedGood); return nil },
		"bad": func(ctx context.Context, s *Step) error {
			select {
			case <-solvedGood:
				return errors.New("exit code: 1")
			case <-ctx.Done():
				return ctx.Err()
			}
		},
	}}
	out := Schedule{Solver: f, Exec: Execution{Mode: DeferOutput, Parallel: 2, ParallelSet: true}}.Run(liveness(t), reqs(nil, "good", "bad"))
	if s := statuses(out); s != "bad=failed good=aborted" {
		t.Fatalf("outcomes %s", s)
	}
	if f.index("export good") != -1 || f.index("held back good") == -1 {
		t.Errorf("good was exported although bad failed: %v", f.events)
	}
}

func TestScheduleBadGraph(t *testing.T) {
	f := &fakeSolver{}
	for _, tc := range []struct {
		deps map[string][]string
		want string
	}{
		{map[string][]string{"a": {"b"}, "b": {"a"}}, "cycle"},
		{map[string][]string{"a": {"zzz"}}, "not in the plan"},
	} {
		out := Schedule{Solver: f}.Run(liveness(t), reqs(tc.deps, "a", "b"))
		for _, o := range out {
			if o.Status != NotStarted || o.Err == nil || !strings.Contains(o.Err.Error(), tc.want) {
				t.Errorf("%v: outcome %+v", tc.deps, o)
			}
		}
	}
	if len(f.events) != 0 {
		t.Errorf("solves ran: %v", f.events)
	}
}

func TestScheduleFailFastHoldsPushesUntilAllSolved(t *testing.T) {
	solvedRelease := make(chan struct{})
	f := &fakeSolver{fn: map[string]func(context.Context, *Step) error{
		"release": func(ctx context.Context, s *Step) error { close(solvedRelease); return nil },
		"local":   func(ctx context.Context, s *Step) error { return nil },
		// bad fails only after release has solved: release must still not push.
		"bad": func(ctx context.Context, s *Step) error {
			select {
			case <-solvedRelease:
				return errors.New("exit code: 1")
			case <-ctx.Done():
				return ctx.Err()
			}
		},
	}}
	rs := reqs(nil, "release", "bad", "local")
	rs[0].Exports = []Export{{Type: "image", Attrs: map[string]string{"name": "r/app", "push": "true"}}}
	out := Schedule{Solver: f, Exec: Execution{Mode: FailFast}}.Run(liveness(t), rs)
	if s := statuses(out); s != "bad=failed local=succeeded release=aborted" && s != "bad=failed local=aborted release=aborted" {
		t.Fatalf("outcomes %s", s)
	}
	if f.index("export release") != -1 || f.index("held back release") == -1 {
		t.Errorf("release was pushed although bad failed: %v", f.events)
	}

	// With every target built, the push goes out (after all have solved).
	f = &fakeSolver{}
	f.fn = map[string]func(context.Context, *Step) error{
		"local": func(ctx context.Context, s *Step) error {
			time.Sleep(20 * time.Millisecond) // give an unheld push time to go first
			f.log("built local")
			return nil
		},
	}
	rs = reqs(nil, "release", "local")
	rs[0].Exports = []Export{{Type: "image", Attrs: map[string]string{"name": "r/app", "push": "true"}}}
	out = Schedule{Solver: f, Exec: Execution{Mode: FailFast}}.Run(liveness(t), rs)
	if s := statuses(out); s != "local=succeeded release=succeeded" {
		t.Fatalf("outcomes %s", s)
	}
	if f.index("export release") < f.index("built local") {
		t.Errorf("release pushed before every target had solved: %v", f.events)
	}
}

func TestScheduleDeferErrorPushesWhatBuilt(t *testing.T) {
	failed := make(chan struct{})
	f := &fakeSolver{fn: map[string]func(context.Context, *Step) error{
		"bad": func(ctx context.Context, s *Step) error { defer close(failed); return errors.New("exit code: 1") },
		"release": func(ctx context.Context, s *Step) error {
			<-failed
			return nil
		},
	}}
	rs := reqs(nil, "release", "bad")
	rs[0].Exports = []Export{{Type: "image", Attrs: map[string]string{"name": "r/app", "push": "true"}}}
	out := Schedule{Solver: f, Exec: Execution{Mode: DeferError}}.Run(liveness(t), rs)
	if s := statuses(out); s != "bad=failed release=succeeded" {
		t.Fatalf("outcomes %s", s)
	}
}
