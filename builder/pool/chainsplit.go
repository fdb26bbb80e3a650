package pool

import (
	"fmt"
	"slices"

	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
)

// A target: chain whose targets can all be split (splittable) for the same
// platforms is split too: the unit is the (target, platform) pair. Each
// platform of the chain is pinned to one node, the first of its targets to
// be placed choosing it (native first, then sticky, then least loaded: the
// Placer), and every target's part for that platform is solved there, so
// that a dependent's part uses its dependency's part for the same platform
// where it lives, as one node would (builder/solve hands it over as a
// frontend input, its solve held open until the dependents are done). The
// schedule carries the parts as Result.Parts. Each target's outputs are
// joined from its parts as for a lone split target (split.go).

// splitChain reports whether the chain comp (one target or several) is
// split by platform on a pool of several nodes.
func splitChain(comp []string, reqs map[string]*request.Request) bool {
	var plats []string
	for i, t := range comp {
		r := reqs[t]
		if !splittable(r) || (len(comp) == 1 && len(r.Deps) > 0) {
			return false
		}
		p := UnitPlatforms(r)
		slices.Sort(p)
		if i == 0 {
			plats = p
		} else if !slices.Equal(p, plats) {
			return false // a part would have no same-platform dependency part
		}
	}
	return true
}

// pinned is the node of u (one platform of a target of chain): the one
// pinned for that platform, or the Placer's choice, then pinned.
func (s *Solver) pinned(chain string, u Unit) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := chain + " " + u.Platforms[0]
	if node, ok := s.pins[key]; ok {
		return node, s.placer.AssignTo(u, node)
	}
	node, err := s.placer.Assign(u)
	if err == nil {
		s.pins[key] = node
	}
	return node, err
}

// partInputs are the inputs of r's part for platform: each dependency's
// part for the same platform.
func partInputs(r *request.Request, inputs map[string]schedule.Result, platform string) (map[string]schedule.Result, error) {
	out := map[string]schedule.Result{}
	for name, dep := range r.Deps {
		res, ok := inputs[dep].Parts[platform]
		if !ok {
			return nil, fmt.Errorf("target %s: context %s: target %s has no result for %s", r.Target, name, dep, platform)
		}
		out[dep] = res
	}
	return out, nil
}
