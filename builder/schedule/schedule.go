// Package schedule runs the requests of one run as a DAG (target:
// contexts) on a Solver: each solve after the targets whose results it
// uses, with the results handed over as typed values that know their node,
// exports held as --jobs (fail-fast, defer-output, defer-error) says. The
// Solver is composed by the caller: Limit bounds it (--jobs parallel=N),
// and other wrappers (a node's watchdog, placement on a pool) go around
// the node's solver the same way.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kiln-build/kiln/builder/request"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
)

// Solver solves one request on a node. The Step it is given ties the solve
// to the others of the run: it hands over the results of the targets the
// request uses (target: contexts) and holds the solve's own result until
// the schedule lets it be exported.
type Solver interface {
	Solve(ctx context.Context, req *request.Request, step *Step) (map[string]string, error)
}

// Result is a solved target's result as its dependents receive it: the
// gateway result, and the node it lives on (a dependent on another node
// cannot use its references directly).
type Result struct {
	// Node is the Name of the node that solved the target.
	Node    string
	Gateway *gateway.Result
	// Parts are a target split by platform (builder/pool): each
	// platform's result, on its own node, for the same platform's part of
	// a dependent. Nil for a target solved whole.
	Parts map[string]Result
}

// Step is a solve's handle on its schedule.
type Step struct {
	inputs map[string]Result
	solved func(ctx context.Context, result Result) error
}

// NewStep is a Step with the given inputs whose Solved calls solved: what
// a Solver wrapping another hands on (step.Inputs(), and a solved that does
// its part then calls step.Solved), and for tests.
func NewStep(inputs map[string]Result, solved func(ctx context.Context, result Result) error) *Step {
	return &Step{inputs: inputs, solved: solved}
}

// Inputs are the results of the targets named in Request.Deps, by target.
func (s *Step) Inputs() map[string]Result { return s.inputs }

// Solved reports the solve's result, before anything is exported, and
// blocks until exporting may start: every target using this result has
// finished with it, and under defer-output every target has solved. An
// error means the solve must stop without exporting.
func (s *Step) Solved(ctx context.Context, result Result) error { return s.solved(ctx, result) }

// Status is how a target's run ended.
type Status string

const (
	Succeeded  Status = "succeeded"
	Failed     Status = "failed"
	Aborted    Status = "aborted" // stopped because of another target
	NotStarted Status = "not started"
)

// Outcome is one target's end.
type Outcome struct {
	Target   string
	Status   Status
	Err      error
	Response map[string]string // the exporter response of a successful solve
	// UpToDate: the target was not built, or solved only for a dependent
	// and not exported; its last build (at Built) still stands
	// (builder/skip), and Response is that build's.
	UpToDate bool
	Built    time.Time
}

// SortOutcomes sorts outcomes by target, as Run returns them.
func SortOutcomes(out []Outcome) {
	slices.SortFunc(out, func(a, b Outcome) int { return compare(a.Target, b.Target) })
}

// errAborted marks failures caused by another target, not by this one.
type errAborted struct{ error }

func (e errAborted) Unwrap() error { return e.error }

// Schedule runs the requests of one run on a Solver, each after the
// targets whose results it uses. It bounds nothing itself: the caller
// composes the Solver (Limit(s, Exec.Bound()) for --jobs parallel=N).
type Schedule struct {
	Solver Solver
	Exec   Execution
}

// Run solves every request and returns one outcome per target, sorted by
// name. Only under fail-fast and defer-output does a failure stop others.
//
// Under fail-fast (the default) a target that pushes also holds its export
// until every target of the run has solved, so a failing build stops the
// release before anything is pushed instead of leaving some images pushed
// and others not, as buildx does. Under defer-error pushes go out as soon as
// their own target is built: the user asked for every target that can.
func (s Schedule) Run(ctx context.Context, reqs []*request.Request) []Outcome {
	g, err := newGraph(reqs)
	if err != nil {
		out := make([]Outcome, 0, len(reqs))
		for _, r := range reqs {
			out = append(out, Outcome{Target: r.Target, Status: NotStarted, Err: err})
		}
		return out
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	out := make([]Outcome, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.runOne(ctx, g, r)
			if out[i].Status == Failed && s.Exec.Mode != DeferError {
				cancel(errAborted{fmt.Errorf("aborted: target %s failed", r.Target)})
			}
		}()
	}
	wg.Wait()
	SortOutcomes(out)
	return out
}

func (s Schedule) runOne(ctx context.Context, g *graph, r *request.Request) (o Outcome) {
	o = Outcome{Target: r.Target}
	name := r.Target
	defer func() {
		if o.Err == nil {
			// A solve that never reported a result (a subrequest) has none to give.
			g.solved.set(name, fmt.Errorf("target %s produced no result to use as a context", name))
		} else {
			g.solved.set(name, o.Err) // no-op when Solved already reported
		}
		g.done.set(name, o.Err)
	}()
	inputs, err := g.solved.wait(ctx, g.deps[name]...)
	if err == nil {
		err = firstError(inputs, g.deps[name], "aborted: dependency target failed")
	}
	if err != nil {
		o.Err, o.Status = err, NotStarted
		if len(g.deps[name]) > 0 && isAborted(err) {
			o.Status = Aborted
		}
		return o
	}
	results := make(map[string]Result, len(inputs))
	for n, v := range inputs {
		results[n] = v.(Result) // firstError returned on any error
	}
	step := &Step{inputs: results, solved: func(ctx context.Context, res Result) error {
		g.solved.set(name, res)
		if _, err := g.done.wait(ctx, g.dependents[name]...); err != nil {
			return errAborted{err}
		}
		if s.Exec.Mode == DeferOutput || (s.Exec.Mode == FailFast && r.Pushes()) {
			all, err := g.solved.wait(ctx, g.builds...)
			if err != nil {
				return errAborted{err}
			}
			return firstError(all, g.builds, "aborted: another target failed")
		}
		return nil
	}}
	resp, err := s.Solver.Solve(ctx, r, step)
	var notStarted errNotStarted
	switch {
	case errors.As(err, &notStarted):
		o.Status, o.Err = NotStarted, err
	case err == nil:
		o.Status, o.Response = Succeeded, resp
	case isAborted(err) || context.Cause(ctx) != nil:
		o.Status, o.Err = Aborted, err
	default:
		o.Status, o.Err = Failed, err
	}
	return o
}

func isAborted(err error) bool {
	var a errAborted
	return errors.As(err, &a)
}

// firstError returns the first error among results, in names order,
// wrapped as an abort: the failure belongs to another target.
func firstError(results map[string]any, names []string, msg string) error {
	for _, n := range names {
		if err, ok := results[n].(error); ok {
			if isAborted(err) {
				return err
			}
			return errAborted{fmt.Errorf("%s: %s: %w", msg, n, err)}
		}
	}
	return nil
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
