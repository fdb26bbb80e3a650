package schedule

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/kiln-build/kiln/builder/request"
)

// graph is the dependency order of a run's targets (target: contexts) and
// the two events each target reports: solved (its result, or its error)
// and done (finished, exported or not).
type graph struct {
	names      []string
	builds     []string            // names of the requests that build (not a --call subrequest)
	deps       map[string][]string // target → targets whose results it uses
	dependents map[string][]string // target → targets using its result
	solved     *events
	done       *events
}

func newGraph(reqs []*request.Request) (*graph, error) {
	g := &graph{deps: map[string][]string{}, dependents: map[string][]string{}, solved: newEvents(), done: newEvents()}
	known := map[string]bool{}
	for _, r := range reqs {
		if known[r.Target] {
			return nil, fmt.Errorf("target %q requested twice", r.Target)
		}
		known[r.Target] = true
		g.names = append(g.names, r.Target)
		if r.Call == nil {
			g.builds = append(g.builds, r.Target)
		}
	}
	slices.Sort(g.names)
	slices.Sort(g.builds)
	for _, r := range reqs {
		for _, d := range r.Deps {
			if !known[d] {
				return nil, fmt.Errorf("target %q: context target:%s is not in the plan", r.Target, d)
			}
			if !slices.Contains(g.deps[r.Target], d) {
				g.deps[r.Target] = append(g.deps[r.Target], d)
				g.dependents[d] = append(g.dependents[d], r.Target)
			}
		}
	}
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string, []string) error
	visit = func(n string, path []string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("target %q: cycle through target: contexts %v", n, append(path, n))
		case 2:
			return nil
		}
		state[n] = 1
		for _, d := range g.deps[n] {
			if err := visit(d, append(path, n)); err != nil {
				return err
			}
		}
		state[n] = 2
		return nil
	}
	for _, n := range g.names {
		if err := visit(n, nil); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// events records one value per name, once, and lets callers wait for names.
type events struct {
	mu   sync.Mutex
	vals map[string]any
	ch   map[string]chan struct{}
}

func newEvents() *events {
	return &events{vals: map[string]any{}, ch: map[string]chan struct{}{}}
}

func (e *events) chanLocked(n string) chan struct{} {
	c, ok := e.ch[n]
	if !ok {
		c = make(chan struct{})
		e.ch[n] = c
	}
	return c
}

// set records v for n; later sets are ignored.
func (e *events) set(n string, v any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.vals[n]; ok {
		return
	}
	e.vals[n] = v
	close(e.chanLocked(n))
}

// wait returns the values of names once all are set.
func (e *events) wait(ctx context.Context, names ...string) (map[string]any, error) {
	out := make(map[string]any, len(names))
	for _, n := range names {
		e.mu.Lock()
		c := e.chanLocked(n)
		e.mu.Unlock()
		select {
		case <-c:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
		e.mu.Lock()
		out[n] = e.vals[n]
		e.mu.Unlock()
	}
	return out, nil
}
