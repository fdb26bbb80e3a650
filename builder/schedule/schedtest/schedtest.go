// Package schedtest is a fake schedule.Solver for tests of the schedule and
// of Solver wrappers: it runs a function per target in place of a BuildKit
// solve (a real solve needs an engine, which these tests are not about),
// and logs what happened in order.
package schedtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
)

// Node is the node name of the fake's results.
const Node = "fake"

// Solver runs Fn[target] (if any) as the solve of target, then reports
// the result to the step, then exports. It logs "start T", "fail T" (Fn
// failed), "solved T" (calling Step.Solved), "held back T" (Solved
// refused) and "export T".
type Solver struct {
	Fn map[string]func(ctx context.Context, s *schedule.Step) error

	mu       sync.Mutex
	events   []string
	inFlight int
	maxFly   int
	waiters  []waiter
}

type waiter struct {
	events []string
	ch     chan struct{}
}

// Log records e and wakes those waiting for it.
func (f *Solver) Log(e string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, e)
	f.waiters = slices.DeleteFunc(f.waiters, func(w waiter) bool {
		if slices.Contains(w.events, e) {
			close(w.ch)
			return true
		}
		return false
	})
}

// Index is the position of e in the log, -1 when not logged.
func (f *Solver) Index(e string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Index(f.events, e)
}

// Events is a copy of the log.
func (f *Solver) Events() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

// MaxInFlight is the most solves (start to Fn's return) that ran at once.
func (f *Solver) MaxInFlight() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxFly
}

// Reached is closed once any of events is logged.
func (f *Solver) Reached(events ...string) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan struct{})
	for _, e := range events {
		if slices.Contains(f.events, e) {
			close(ch)
			return ch
		}
	}
	f.waiters = append(f.waiters, waiter{events: events, ch: ch})
	return ch
}

// Result is the fake's result of target, as dependents receive it.
func Result(target string) schedule.Result {
	return schedule.Result{Node: Node, Gateway: &gateway.Result{Metadata: map[string][]byte{"target": []byte(target)}}}
}

// Solve implements schedule.Solver.
func (f *Solver) Solve(ctx context.Context, r *request.Request, s *schedule.Step) (map[string]string, error) {
	f.mu.Lock()
	f.inFlight++
	f.maxFly = max(f.maxFly, f.inFlight)
	f.mu.Unlock()
	f.Log("start " + r.Target)
	var err error
	if fn := f.Fn[r.Target]; fn != nil {
		err = fn(ctx, s)
	}
	f.mu.Lock()
	f.inFlight--
	f.mu.Unlock()
	if err != nil {
		f.Log("fail " + r.Target)
		return nil, err
	}
	f.Log("solved " + r.Target)
	if err := s.Solved(ctx, Result(r.Target)); err != nil {
		f.Log("held back " + r.Target)
		return nil, err
	}
	f.Log("export " + r.Target)
	return map[string]string{"target": r.Target}, nil
}

// Requests are requests named names, each using the results of deps[name]
// as contexts.
func Requests(deps map[string][]string, names ...string) []*request.Request {
	var out []*request.Request
	for _, n := range names {
		r := &request.Request{Target: n}
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

// Liveness bounds a test that would otherwise hang on a scheduling bug.
func Liveness(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Statuses is "target=status ..." of the outcomes, in their order.
func Statuses(out []schedule.Outcome) string {
	var s []string
	for _, o := range out {
		s = append(s, o.Target+"="+string(o.Status))
	}
	return strings.Join(s, " ")
}
