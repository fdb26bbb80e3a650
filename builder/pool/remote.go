package pool

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
)

// A target: chain that no node builds natively whole, on a pool with a
// registry, is not kept on one node: each target goes where its platforms
// build natively, and a dependency's result reaches its dependents through
// the registry, pushed by digest (untagged) to the pool's repository and
// passed as a docker-image:// context. It is never rebuilt: the dependent
// uses exactly the image the dependency's node produced.

// exported is a dependency's result in the registry, once pushed.
type exported struct {
	done   chan struct{}
	ref    string // REPO@sha256:…
	err    error
	closed bool
}

// solveRemote solves r of such a chain: it waits for its dependencies'
// images, names them as its contexts, and, when r has dependents, pushes
// its own result for them.
func (s *Solver) solveRemote(ctx context.Context, r *request.Request, step *schedule.Step, p *Placement) (map[string]string, error) {
	ex := s.remote[r.Target]
	resp, err := s.solveRemoteUnit(ctx, r, step, p, ex)
	if err != nil {
		s.mu.Lock()
		if !ex.closed {
			ex.err, ex.closed = err, true
			close(ex.done)
		}
		s.mu.Unlock()
	}
	return resp, err
}

func (s *Solver) solveRemoteUnit(ctx context.Context, r *request.Request, step *schedule.Step, p *Placement, ex *exported) (map[string]string, error) {
	req := s.opts.Cache.Apply(r, s.reqs)
	own := *req
	own.Attrs = maps.Clone(req.Attrs)
	own.Deps = nil
	for name, dep := range r.Deps {
		d := s.remote[dep]
		select {
		case <-d.done:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
		if d.err != nil {
			return nil, fmt.Errorf("context %s: target %s: %w", name, dep, d.err)
		}
		own.Attrs["context:"+name] = "docker-image://" + d.ref
	}
	var held [][]string
	if s.opts.Atomic {
		var err error
		var h *request.Request
		if h, held, err = holdTags(&own); err != nil {
			return nil, err
		}
		own = *h
	}
	inner := step
	if s.dependents[r.Target] {
		// The dependents do not wait for this node's result but for its
		// image: the export goes ahead while the schedule hands the
		// result on (held pushes make this safe under fail-fast). The
		// schedule's Solved, called once even if a lost node makes the
		// solve run again, returns once the dependents are done; this
		// solve ends only after it, so that a --jobs slot it takes back
		// is given back here.
		var once sync.Once
		handed := make(chan struct{})
		called := false
		inner = schedule.NewStep(step.Inputs(), func(_ context.Context, res schedule.Result) error {
			once.Do(func() {
				s.mu.Lock()
				called = true
				s.mu.Unlock()
				go func() {
					defer close(handed)
					_ = step.Solved(ctx, res) // a dependent that fails reports itself
				}()
			})
			return nil
		})
		defer func() {
			s.mu.Lock()
			wait := called
			s.mu.Unlock()
			if wait {
				<-handed
			}
		}()
	}
	resp, err := s.place(ctx, Unit{Target: r.Target, Platforms: s.group[r.Target]}, &own, inner, p, false)
	if err != nil {
		return nil, err
	}
	if err := s.release.pushed(r, held, resp); err != nil {
		return nil, err
	}
	if !s.dependents[r.Target] {
		return resp, nil
	}
	// The image for the dependents: a second solve on the same node, all
	// cache hits, with only this export (one exporter response a solve).
	push := own
	push.Exports = []request.Export{{Type: "image", Attrs: map[string]string{
		"name": s.opts.Cache.Registry, "push": "true", string(exptypes.OptKeyPushByDigest): "true"}}}
	s.mu.Lock()
	node := p.Node
	s.mu.Unlock()
	noop := func(context.Context, schedule.Result) error { return nil }
	presp, err := s.members[node].Solver.Solve(ctx, &push, schedule.NewStep(step.Inputs(), noop))
	if err != nil {
		return nil, fmt.Errorf("pushing its result for its dependents to %s: %w", s.opts.Cache.Registry, err)
	}
	d, err := descriptorOf(presp)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	ex.ref, ex.closed = s.opts.Cache.Registry+"@"+d.Digest.String(), true
	close(ex.done)
	s.mu.Unlock()
	return resp, nil
}
