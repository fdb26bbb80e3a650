package pool

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Unit is one piece of work to place: a target's solve for some platforms.
type Unit struct {
	Target    string
	Platforms []string // normalized (platforms.Format)
}

// Capacity is what a node can run, as it reports it (ListWorkers) and as
// the pool declares it.
type Capacity struct {
	Name string
	// Native platforms run without emulation; Emulated through binfmt/qemu.
	Native, Emulated []string
	MaxSolves        int // 0: no bound
}

// Placer decides where units go, as a cluster scheduler does (Nomad's
// feasibility and ranking): of the nodes that can run every platform of the
// unit and have a free slot, it prefers the one that runs them all
// natively, then the one that built the target last (it holds its cache),
// then the least loaded, then the first declared. Safe for concurrent use.
type Placer struct {
	mu      sync.Mutex
	nodes   []Capacity
	running []int
	down    []bool            // left out: stopped answering during the run
	last    map[string]string // target → node that built it last
}

// NewPlacer places over nodes; last maps each target to the node that
// built it in an earlier run (may be nil).
func NewPlacer(nodes []Capacity, last map[string]string) *Placer {
	return &Placer{nodes: nodes, running: make([]int, len(nodes)), down: make([]bool, len(nodes)), last: last}
}

// ErrNoCapacity is returned by Place when feasible nodes exist but none has
// a free slot now: the caller waits for a Release and tries again.
var ErrNoCapacity = fmt.Errorf("every node that can build it is busy")

// Place picks the node for u and takes one of its slots (give it back with
// Release). An error that is not ErrNoCapacity means no node of the pool
// can ever build u; it names the platforms and what each node runs.
func (p *Placer) Place(u Unit) (string, error) {
	return p.place(u, false)
}

// Assign is Place for a caller that queues solves on each node itself
// (a node's own bound, as Limit does): when every node that can build u is
// full it still picks one, the least loaded, instead of ErrNoCapacity.
// Nodes with a free slot are always preferred. A run whose solves wait on
// each other (a held export, a target: context) cannot deadlock on it.
func (p *Placer) Assign(u Unit) (string, error) {
	return p.place(u, true)
}

// AssignTo takes a slot on node for u (overcommitting it, as Assign does),
// or fails when that node cannot build u: a dependent goes where its
// dependency's result is.
func (p *Placer) AssignTo(u Unit, node string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, n := range p.nodes {
		if n.Name != node {
			continue
		}
		if _, ok := runs(n, u.Platforms); !ok || p.down[i] {
			return fmt.Errorf("target %s: node %s cannot build %s", u.Target, node, strings.Join(u.Platforms, ", "))
		}
		p.running[i]++
		return nil
	}
	return fmt.Errorf("target %s: no node %s in the pool", u.Target, node)
}

// Feasible reports, as Place's error would, whether some node of the pool
// can build u at all.
func (p *Placer) Feasible(u Unit) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, n := range p.nodes {
		if _, ok := runs(n, u.Platforms); ok && !p.down[i] {
			return nil
		}
	}
	return p.infeasible(u)
}

// NativeAll reports whether some node builds every one of platforms
// natively.
func (p *Placer) NativeAll(platforms []string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, n := range p.nodes {
		if native, ok := runs(n, platforms); ok && native && !p.down[i] {
			return true
		}
	}
	return false
}

// Down leaves node out of every later placement: it stopped answering.
func (p *Placer) Down(node string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, n := range p.nodes {
		if n.Name == node {
			p.down[i] = true
		}
	}
}

func (p *Placer) place(u Unit, overcommit bool) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	best, bestScore, feasible := -1, score{}, false
	full, fullLoad := -1, 0.0
	for i, n := range p.nodes {
		native, ok := runs(n, u.Platforms)
		if !ok || p.down[i] {
			continue
		}
		feasible = true
		if n.MaxSolves > 0 && p.running[i] >= n.MaxSolves {
			if l := load(p.running[i], n.MaxSolves); full < 0 || l < fullLoad {
				full, fullLoad = i, l
			}
			continue
		}
		s := score{native: native, sticky: p.last[u.Target] == n.Name, load: load(p.running[i], n.MaxSolves)}
		if best < 0 || s.better(bestScore) {
			best, bestScore = i, s
		}
	}
	if best < 0 && overcommit {
		best = full
	}
	if best < 0 {
		if feasible {
			return "", ErrNoCapacity
		}
		return "", p.infeasible(u)
	}
	p.running[best]++
	return p.nodes[best].Name, nil
}

// Release gives back a slot taken on node by Place.
func (p *Placer) Release(node string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, n := range p.nodes {
		if n.Name == node && p.running[i] > 0 {
			p.running[i]--
			return
		}
	}
}

type score struct {
	native, sticky bool
	load           float64
}

// better ranks native first, then sticky, then the lower load; ties keep
// the earlier node (the caller walks nodes in declared order).
func (s score) better(o score) bool {
	if s.native != o.native {
		return s.native
	}
	if s.sticky != o.sticky {
		return s.sticky
	}
	return s.load < o.load
}

// load is the share of a node's slots in use; unbounded nodes count their
// running solves against a nominal 16.
func load(running, max int) float64 {
	if max <= 0 {
		max = 16
	}
	return float64(running) / float64(max)
}

// runs reports whether n can run every platform (ok) and runs them all
// natively (native).
func runs(n Capacity, platforms []string) (native, ok bool) {
	native = true
	for _, pl := range platforms {
		switch {
		case slices.Contains(n.Native, pl):
		case slices.Contains(n.Emulated, pl):
			native = false
		default:
			return false, false
		}
	}
	return native, true
}

func (p *Placer) infeasible(u Unit) error {
	var b strings.Builder
	for i, n := range p.nodes {
		if i > 0 {
			b.WriteString("; ")
		}
		if p.down[i] {
			fmt.Fprintf(&b, "%s stopped answering", n.Name)
			continue
		}
		fmt.Fprintf(&b, "%s runs %s", n.Name, strings.Join(append(slices.Clone(n.Native), n.Emulated...), ", "))
	}
	return fmt.Errorf("target %s: no node of the pool builds %s (%s)", u.Target, strings.Join(u.Platforms, ", "), b.String())
}
