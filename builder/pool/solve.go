package pool

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/containerd/platforms"
	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
)

// Member is one node of a running pool: what it can build and the solver
// that runs solves on it (its own max-solves bound and liveness watchdog
// already composed in).
type Member struct {
	Capacity
	Solver schedule.Solver
	// Alive asks whether the node still answers. After a failed solve, a
	// node that does not is left out of the run and the unit is retried
	// on another. Nil: the node is never given up on.
	Alive func(ctx context.Context) error
}

// Options are a pool run's settings.
type Options struct {
	// Last maps each target to the node that built it in an earlier run
	// (sticky placement: that node holds its cache).
	Last map[string]string
	// Retries bounds how many times a unit is moved to another node after
	// its node stopped answering.
	Retries int
	// Cache is the cache the pool's nodes share.
	Cache Cache
	// Atomic pushes every image by digest and leaves its tags to the
	// Release, written once the whole run succeeded (fail-fast).
	Atomic bool
}

// DefaultRetries is Options.Retries for a run that does not say.
const DefaultRetries = 2

// Placement is where a unit ran, for the summary and the next run.
type Placement struct {
	Node string
	// Lost are the nodes the unit was moved away from, in order, because
	// they stopped answering while it ran there.
	Lost     []string
	Start    time.Time
	Duration time.Duration
	// Parts are a split target's platforms, each placed on its own.
	Parts map[string]*Placement
}

// Solver places each request of a run on a node of the pool and solves it
// there: feasibility and ranking by the Placer (native, then sticky, then
// least loaded within each node's max-solves), a target: dependent on its
// dependency's node (where the result it uses is), the pool's shared cache
// wired into every unit, and a unit whose node stops answering moved to
// another eligible node, a bounded number of times. It composes as Limit
// does: Limit(pool.NewSolver(…), jobs) bounds the whole pool.
type Solver struct {
	placer  *Placer
	members map[string]Member
	reqs    map[string]*request.Request
	// group is the platforms a target's unit is placed by: its own, and
	// for a target: chain kept whole every platform of the chain, so that
	// one node can take the whole chain.
	group      map[string][]string
	dependents map[string]bool
	split      map[string]bool // targets split into one solve per platform
	// chain names, for each target of a target: chain split by platform,
	// its chain (its first target): every member's part for a platform
	// goes to the node pinned for that platform of the chain (pins), where
	// its dependencies' parts for it are.
	chain  map[string]string
	pins   map[string]string    // chain + " " + platform → node
	remote map[string]*exported // targets whose results reach their dependents through the registry
	opts   Options

	release Release

	mu     sync.Mutex
	placed map[string]*Placement
}

// NewSolver places reqs over members. It fails, before anything is built,
// when some target (or target: chain) can be built by no node.
func NewSolver(members []Member, reqs []*request.Request, o Options) (*Solver, error) {
	if len(members) == 0 {
		return nil, errors.New("the pool has no node")
	}
	s := &Solver{members: map[string]Member{}, reqs: map[string]*request.Request{}, group: map[string][]string{},
		dependents: map[string]bool{}, split: map[string]bool{}, chain: map[string]string{}, pins: map[string]string{}, remote: map[string]*exported{}, opts: o, placed: map[string]*Placement{}}
	var caps []Capacity
	for _, m := range members {
		caps = append(caps, m.Capacity)
		s.members[m.Name] = m
	}
	s.placer = NewPlacer(caps, o.Last)
	for _, r := range reqs {
		s.reqs[r.Target] = r
	}
	for _, comp := range chains(reqs) {
		var plats []string
		for _, t := range comp {
			for _, p := range UnitPlatforms(s.reqs[t]) {
				if !slices.Contains(plats, p) {
					plats = append(plats, p)
				}
			}
		}
		slices.Sort(plats)
		if len(comp) > 1 {
			for _, t := range comp {
				for _, d := range s.reqs[t].Deps {
					s.dependents[d] = true
				}
			}
		}
		// A chain whose targets all split the same way: each platform of
		// it on one node (chainsplit.go).
		if len(members) > 1 && splitChain(comp, s.reqs) {
			for _, t := range comp {
				s.split[t] = true
				s.group[t] = UnitPlatforms(s.reqs[t])
				if len(comp) > 1 {
					s.chain[t] = comp[0]
				}
			}
			continue
		}
		// A chain no node builds natively, with a registry to pass its
		// results through: each target placed on its own (remote.go).
		remote := len(comp) > 1 && len(members) > 1 && o.Cache.Registry != "" && !s.placer.NativeAll(plats)
		for _, t := range comp {
			s.group[t] = plats
			if remote {
				s.remote[t] = &exported{done: make(chan struct{})}
				s.group[t] = UnitPlatforms(s.reqs[t])
			}
		}
	}
	// Feasibility first: a plan that cannot be placed builds nothing.
	for _, r := range reqs {
		if s.split[r.Target] {
			for _, p := range UnitPlatforms(r) {
				if err := s.placer.Feasible(Unit{Target: r.Target, Platforms: []string{p}}); err != nil {
					return nil, err
				}
			}
			continue
		}
		if err := s.placer.Feasible(Unit{Target: r.Target, Platforms: s.group[r.Target]}); err != nil {
			if len(s.group[r.Target]) != len(UnitPlatforms(r)) {
				err = fmt.Errorf("%w (a target: chain is built on one node)", err)
			}
			return nil, err
		}
	}
	return s, nil
}

// UnitPlatforms are the platforms a request builds, normalized; none when
// it builds for the node's own.
func UnitPlatforms(r *request.Request) []string {
	var out []string
	for _, p := range strings.Split(r.Attrs["platform"], ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if pp, err := platforms.Parse(p); err == nil {
			p = platforms.Format(platforms.Normalize(pp))
		}
		out = append(out, p)
	}
	return out
}

// chains are the connected components of the target: graph, each sorted.
func chains(reqs []*request.Request) [][]string {
	parent := map[string]string{}
	var find func(string) string
	find = func(t string) string {
		if p, ok := parent[t]; ok && p != t {
			r := find(p)
			parent[t] = r
			return r
		}
		parent[t] = t
		return t
	}
	for _, r := range reqs {
		find(r.Target)
		for _, d := range r.Deps {
			if a, b := find(r.Target), find(d); a != b {
				parent[a] = b
			}
		}
	}
	byRoot := map[string][]string{}
	for _, r := range reqs {
		root := find(r.Target)
		byRoot[root] = append(byRoot[root], r.Target)
	}
	var out [][]string
	for _, root := range slices.Sorted(maps.Keys(byRoot)) {
		c := byRoot[root]
		slices.Sort(c)
		out = append(out, c)
	}
	return out
}

func (s *Solver) Solve(ctx context.Context, r *request.Request, step *schedule.Step) (map[string]string, error) {
	p := &Placement{Start: time.Now()}
	s.mu.Lock()
	s.placed[r.Target] = p
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		p.Duration = time.Since(p.Start)
		for _, pp := range p.Parts {
			pp.Duration = p.Duration
		}
		s.mu.Unlock()
	}()
	if s.split[r.Target] {
		return s.solveSplit(ctx, r, step, p)
	}
	if s.remote[r.Target] != nil {
		return s.solveRemote(ctx, r, step, p)
	}
	req := s.opts.Cache.Apply(r, s.reqs)
	var held [][]string
	if s.opts.Atomic {
		var err error
		if req, held, err = holdTags(req); err != nil {
			return nil, err
		}
	}
	resp, err := s.place(ctx, Unit{Target: r.Target, Platforms: s.group[r.Target]}, req, step, p, true)
	if err != nil {
		return nil, err
	}
	return resp, s.release.pushed(r, held, resp)
}

// place solves req where the Placer puts u, and again on another node,
// a bounded number of times, when that node stops answering; p records
// where. chained says the unit may be part of a target: chain.
func (s *Solver) place(ctx context.Context, u Unit, req *request.Request, step *schedule.Step, p *Placement, chained bool) (map[string]string, error) {
	for {
		node, err := s.assign(u, req, chained)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		p.Node = node
		s.mu.Unlock()
		resp, err := s.members[node].Solver.Solve(ctx, req, step)
		s.placer.Release(node)
		if err == nil {
			return resp, nil
		}
		if context.Cause(ctx) != nil || !s.lost(ctx, node) {
			return nil, err
		}
		s.placer.Down(node)
		s.mu.Lock()
		p.Lost = append(p.Lost, node)
		s.mu.Unlock()
		// A result already handed to dependents on the lost node cannot
		// be taken back: a chain fails with its node.
		if chained && (s.dependents[req.Target] || len(req.Deps) > 0) {
			return nil, fmt.Errorf("node %s stopped answering (a target: chain is not moved): %w", node, err)
		}
		if len(p.Lost) > s.opts.Retries {
			return nil, fmt.Errorf("node %s stopped answering, after %d retries: %w", node, s.opts.Retries, err)
		}
	}
}

// assign picks u's node: its dependency's when it uses one (the result it
// uses is there), else the Placer's choice.
func (s *Solver) assign(u Unit, r *request.Request, chained bool) (string, error) {
	if c := s.chain[u.Target]; c != "" && len(u.Platforms) == 1 {
		return s.pinned(c, u)
	}
	for _, dep := range slices.Sorted(maps.Values(r.Deps)) {
		if !chained {
			break
		}
		s.mu.Lock()
		p := s.placed[dep]
		s.mu.Unlock()
		if p != nil {
			return p.Node, s.placer.AssignTo(u, p.Node)
		}
	}
	return s.placer.Assign(u)
}

// lost reports whether node no longer answers.
func (s *Solver) lost(ctx context.Context, node string) bool {
	m := s.members[node]
	if m.Alive == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return m.Alive(ctx) != nil
}

// Release is the run's held tags (Options.Atomic), to write once every
// target has succeeded.
func (s *Solver) Release() *Release { return &s.release }

// Placements are where each target ran (or last tried to), by target.
func (s *Solver) Placements() map[string]Placement {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Placement{}
	for t, p := range s.placed {
		c := *p
		if p.Parts != nil {
			c.Parts = map[string]*Placement{}
			for pl, pp := range p.Parts {
				cp := *pp
				c.Parts[pl] = &cp
			}
		}
		out[t] = c
	}
	return out
}
