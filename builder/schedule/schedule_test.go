package schedule_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kiln-build/kiln/builder/request"
	. "github.com/kiln-build/kiln/builder/schedule"
	"github.com/kiln-build/kiln/builder/schedule/schedtest"
)

// run schedules reqs on s bounded as ex says, composed as cmd/kiln does.
func run(s Solver, ex Execution, ctx context.Context, reqs []*request.Request) []Outcome {
	return Schedule{Solver: Limit(s, ex.Bound()), Exec: ex}.Run(ctx, reqs)
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
	f := &schedtest.Solver{Fn: map[string]func(context.Context, *Step) error{"a": wait, "b": wait, "c": wait}}
	out := run(f, Execution{Mode: FailFast}, schedtest.Liveness(t), schedtest.Requests(nil, "c", "a", "b"))
	if got := schedtest.Statuses(out); got != "a=succeeded b=succeeded c=succeeded" {
		t.Fatalf("outcomes %s", got)
	}
	if out[0].Response["target"] != "a" {
		t.Errorf("response %v", out[0].Response)
	}
}

// TestScheduleParallelBound checks that parallel=2 runs two solves at once,
// not more and not fewer: the first solve waits until a second one has
// started, so a serial scheduler never gets past it (the liveness
// deadline fails the test) and an unbounded one runs more than two.
func TestScheduleParallelBound(t *testing.T) {
	var started atomic.Int32
	second := make(chan struct{})
	pair := func(ctx context.Context, s *Step) error {
		if started.Add(1) == 2 {
			close(second)
		}
		select {
		case <-second:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f := &schedtest.Solver{Fn: map[string]func(context.Context, *Step) error{"a": pair, "b": pair, "c": pair, "d": pair, "e": pair}}
	out := run(f, Execution{Mode: FailFast, Parallel: 2, ParallelSet: true}, schedtest.Liveness(t), schedtest.Requests(nil, "a", "b", "c", "d", "e"))
	if got := schedtest.Statuses(out); strings.Count(got, "succeeded") != 5 {
		t.Fatalf("outcomes %s", got)
	}
	if n := f.MaxInFlight(); n != 2 {
		t.Errorf("%d solves ran at once with parallel=2, want 2", n)
	}
}

func TestScheduleDependencyOrder(t *testing.T) {
	f := &schedtest.Solver{}
	var got Result
	f.Fn = map[string]func(context.Context, *Step) error{
		"app": func(ctx context.Context, s *Step) error { got = s.Inputs()["base"]; return nil },
	}
	// parallel=1 with a chain: the dependency must not hold the only slot
	// while it waits for its dependent.
	out := run(f, Execution{Mode: FailFast, Parallel: 1, ParallelSet: true}, schedtest.Liveness(t),
		schedtest.Requests(map[string][]string{"app": {"base"}, "test": {"app"}}, "test", "app", "base"))
	if s := schedtest.Statuses(out); s != "app=succeeded base=succeeded test=succeeded" {
		t.Fatalf("outcomes %s", s)
	}
	if got.Node != schedtest.Node || got.Gateway == nil || string(got.Gateway.Metadata["target"]) != "base" {
		t.Errorf("app's input = %+v, want base's result on %s", got, schedtest.Node)
	}
	// base's result is held (not exported) until app has finished with it.
	if !(f.Index("start base") < f.Index("start app") && f.Index("export app") < f.Index("export base")) {
		t.Errorf("events out of order: %v", f.Events())
	}
}

func TestScheduleFailFast(t *testing.T) {
	f := &schedtest.Solver{Fn: map[string]func(context.Context, *Step) error{
		"bad":  func(ctx context.Context, s *Step) error { return errors.New("exit code: 1") },
		"slow": func(ctx context.Context, s *Step) error { <-ctx.Done(); return ctx.Err() },
	}}
	// unbounded (-j 0): every target starts, so slow is aborted, not
	// "not started" (under the default bound it may not get a slot before
	// bad fails)
	out := run(f, Execution{Mode: FailFast, ParallelSet: true}, schedtest.Liveness(t),
		schedtest.Requests(map[string][]string{"after": {"bad"}}, "bad", "slow", "after"))
	if s := schedtest.Statuses(out); s != "after=aborted bad=failed slow=aborted" {
		t.Fatalf("outcomes %s", s)
	}
	if f.Index("start after") != -1 {
		t.Errorf("a target using a failed target's result started: %v", f.Events())
	}
}

func TestScheduleDeferError(t *testing.T) {
	failed := make(chan struct{})
	f := &schedtest.Solver{Fn: map[string]func(context.Context, *Step) error{
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
	out := run(f, Execution{Mode: DeferError}, schedtest.Liveness(t),
		schedtest.Requests(map[string][]string{"uses-bad": {"bad"}}, "bad", "good", "uses-bad"))
	if s := schedtest.Statuses(out); s != "bad=failed good=succeeded uses-bad=aborted" {
		t.Fatalf("outcomes %s", s)
	}
	if !strings.Contains(out[2].Err.Error(), "dependency target failed") {
		t.Errorf("uses-bad error: %v", out[2].Err)
	}
}

func TestScheduleDeferOutput(t *testing.T) {
	solvedGood := make(chan struct{})
	f := &schedtest.Solver{Fn: map[string]func(context.Context, *Step) error{
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
	out := run(f, Execution{Mode: DeferOutput, Parallel: 2, ParallelSet: true}, schedtest.Liveness(t), schedtest.Requests(nil, "good", "bad"))
	if s := schedtest.Statuses(out); s != "bad=failed good=aborted" {
		t.Fatalf("outcomes %s", s)
	}
	if f.Index("export good") != -1 || f.Index("held back good") == -1 {
		t.Errorf("good was exported although bad failed: %v", f.Events())
	}
}

func TestScheduleBadGraph(t *testing.T) {
	f := &schedtest.Solver{}
	for _, tc := range []struct {
		deps map[string][]string
		want string
	}{
		{map[string][]string{"a": {"b"}, "b": {"a"}}, "cycle"},
		{map[string][]string{"a": {"zzz"}}, "not in the plan"},
	} {
		out := Schedule{Solver: f}.Run(schedtest.Liveness(t), schedtest.Requests(tc.deps, "a", "b"))
		for _, o := range out {
			if o.Status != NotStarted || o.Err == nil || !strings.Contains(o.Err.Error(), tc.want) {
				t.Errorf("%v: outcome %+v", tc.deps, o)
			}
		}
	}
	if len(f.Events()) != 0 {
		t.Errorf("solves ran: %v", f.Events())
	}
}

func TestScheduleFailFastHoldsPushesUntilAllSolved(t *testing.T) {
	solvedRelease := make(chan struct{})
	f := &schedtest.Solver{Fn: map[string]func(context.Context, *Step) error{
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
	rs := schedtest.Requests(nil, "release", "bad", "local")
	rs[0].Exports = []request.Export{{Type: "image", Attrs: map[string]string{"name": "r/app", "push": "true"}}}
	out := run(f, Execution{Mode: FailFast}, schedtest.Liveness(t), rs)
	if s := schedtest.Statuses(out); s != "bad=failed local=succeeded release=aborted" && s != "bad=failed local=aborted release=aborted" {
		t.Fatalf("outcomes %s", s)
	}
	if f.Index("export release") != -1 || f.Index("held back release") == -1 {
		t.Errorf("release was pushed although bad failed: %v", f.Events())
	}

	// With every target built, the push goes out (after all have solved).
	f = &schedtest.Solver{}
	f.Fn = map[string]func(context.Context, *Step) error{
		// local is built only once release has reported its result: an
		// unheld push goes out then, without waiting for local.
		"local": func(ctx context.Context, s *Step) error {
			select {
			case <-f.Reached("solved release"):
			case <-ctx.Done():
				return ctx.Err()
			}
			f.Log("built local")
			return nil
		},
	}
	rs = schedtest.Requests(nil, "release", "local")
	rs[0].Exports = []request.Export{{Type: "image", Attrs: map[string]string{"name": "r/app", "push": "true"}}}
	out = run(f, Execution{Mode: FailFast}, schedtest.Liveness(t), rs)
	if s := schedtest.Statuses(out); s != "local=succeeded release=succeeded" {
		t.Fatalf("outcomes %s", s)
	}
	if f.Index("export release") < f.Index("built local") {
		t.Errorf("release pushed before every target had solved: %v", f.Events())
	}
}

func TestScheduleDeferErrorPushesWhatBuilt(t *testing.T) {
	failed := make(chan struct{})
	f := &schedtest.Solver{Fn: map[string]func(context.Context, *Step) error{
		"bad": func(ctx context.Context, s *Step) error { defer close(failed); return errors.New("exit code: 1") },
		"release": func(ctx context.Context, s *Step) error {
			<-failed
			return nil
		},
	}}
	rs := schedtest.Requests(nil, "release", "bad")
	rs[0].Exports = []request.Export{{Type: "image", Attrs: map[string]string{"name": "r/app", "push": "true"}}}
	out := run(f, Execution{Mode: DeferError}, schedtest.Liveness(t), rs)
	if s := schedtest.Statuses(out); s != "bad=failed release=succeeded" {
		t.Fatalf("outcomes %s", s)
	}
}
