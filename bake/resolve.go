package bake

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/docker/buildx/util/buildflags"
)

// matchNames expands a requested name: a glob pattern matches groups then
// targets; any other name is returned as is.
func (c Config) matchNames(pattern string) ([]string, error) {
	if !strings.ContainsAny(pattern, "*?[]") {
		return []string{pattern}, nil
	}
	var names []string
	for _, g := range c.Groups {
		if ok, err := path.Match(pattern, g.Name); ok && err == nil {
			names = append(names, g.Name)
		}
	}
	for _, t := range c.Targets {
		if ok, err := path.Match(pattern, t.Name); ok && err == nil {
			names = append(names, t.Name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("could not find any target matching %q", pattern)
	}
	return names, nil
}

// expandTargets expands the target pattern of a --set key.
func (c Config) expandTargets(pattern string) ([]string, error) {
	if c.target(pattern) != nil {
		return []string{pattern}, nil
	}
	var names []string
	for _, t := range c.Targets {
		ok, err := path.Match(pattern, t.Name)
		if err != nil {
			return nil, fmt.Errorf("could not match targets with '%s': %w", pattern, err)
		}
		if ok {
			names = append(names, t.Name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("could not find any target matching '%s'", pattern)
	}
	return names, nil
}

// resolver looks up a Config's targets and groups by name in constant time
// (the first of each name, as a linear lookup finds), so that resolving n
// targets costs O(n), not n scans of the Config.
type resolver struct {
	c       Config
	targets map[string]*Target
	groups  map[string]*Group
	// groupCycles maps a group that includes itself to the chain by which
	// it does (g -> h -> g), as resolveGroup met it.
	groupCycles map[string][]string
}

func (c Config) resolver() *resolver {
	r := &resolver{
		c:       c,
		targets: make(map[string]*Target, len(c.Targets)),
		groups:  make(map[string]*Group, len(c.Groups)),
	}
	for _, t := range c.Targets {
		if _, ok := r.targets[t.Name]; !ok {
			r.targets[t.Name] = t
		}
	}
	for _, g := range c.Groups {
		if _, ok := r.groups[g.Name]; !ok {
			r.groups[g.Name] = g
		}
	}
	return r
}

func (r *resolver) target(name string) *Target { return r.targets[name] }
func (r *resolver) group(name string) *Group   { return r.groups[name] }

// ResolveGroup returns the targets a name stands for (itself when it is not
// a group) and the groups met on the way, nested groups included.
func (c Config) ResolveGroup(name string) (targets, groups []string) {
	return c.resolver().resolveGroup(name)
}

func (r *resolver) resolveGroup(name string) (targets, groups []string) {
	targets, groups = r.walkGroup(name, map[string]groupVisit{}, nil)
	return dedupStrings(targets), dedupStrings(groups)
}

// listingGroup is the first of groups whose own targets list name; "" if none.
func (r *resolver) listingGroup(groups []string, name string) string {
	for _, g := range groups {
		if gr := r.group(g); gr != nil && slices.Contains(gr.Targets, name) {
			return g
		}
	}
	return ""
}

type groupVisit struct{ targets, groups []string }

// walkGroup expands group name as buildx does: a group met again while it
// is being expanded stands for a target of its name (which then fails to
// resolve unless a target has that name); the chain is kept for the error.
func (r *resolver) walkGroup(name string, visited map[string]groupVisit, stack []string) ([]string, []string) {
	if v, ok := visited[name]; ok {
		if i := slices.Index(stack, name); i >= 0 {
			if r.groupCycles == nil {
				r.groupCycles = map[string][]string{}
			}
			if _, ok := r.groupCycles[name]; !ok {
				r.groupCycles[name] = append(slices.Clone(stack[i:]), name)
			}
		}
		return v.targets, v.groups
	}
	g := r.group(name)
	if g == nil {
		return []string{name}, nil
	}
	visited[name] = groupVisit{}
	stack = append(stack, name)
	targets := make([]string, 0, len(g.Targets))
	groups := []string{name}
	for _, t := range g.Targets {
		tt, tg := r.walkGroup(t, visited, stack)
		if len(tt) > 0 {
			targets = append(targets, tt...)
		} else {
			targets = append(targets, t)
		}
		groups = append(groups, tg...)
	}
	visited[name] = groupVisit{targets: targets, groups: groups}
	return targets, groups
}

// ResolveTarget returns target name with its parents merged in, overrides
// applied, and the defaults for context and dockerfile.
func (c Config) ResolveTarget(name string, o Overrides) (*Target, error) {
	return c.resolver().resolveTarget(name, o)
}

func (r *resolver) resolveTarget(name string, o Overrides) (*Target, error) {
	t, err := r.inherit(name, map[string]*Target{}, o)
	if err != nil {
		return nil, err
	}
	t.Name = name
	t.Inherits = nil
	if t.Context == nil {
		s := "."
		if t.paths.useDefault {
			s = rebaseContextPath(t.paths.defaultBase, ".")
		}
		t.Context = &s
	}
	if t.Dockerfile == nil || *t.Dockerfile == "" {
		s := "Dockerfile"
		t.Dockerfile = &s
	}
	return t, nil
}

// inherit merges the parents of name (in order, each resolved the same way)
// and then name itself. Like buildx, a cycle in inherits is cut where it
// closes rather than reported: the parent already being resolved is skipped.
func (r *resolver) inherit(name string, visited map[string]*Target, o Overrides) (*Target, error) {
	if t, ok := visited[name]; ok {
		return t, nil
	}
	visited[name] = nil
	t := r.target(name)
	if t == nil {
		return nil, fmt.Errorf("failed to find target %s", name)
	}
	tt := &Target{}
	for _, parent := range t.Inherits {
		if _, seen := visited[parent]; !seen && r.target(parent) == nil {
			return nil, at(r.c.elemRange("target", name, "inherits", parent),
				fmt.Errorf("failed to find target %s, inherited by target %q", parent, name))
		}
		pt, err := r.inherit(parent, visited, o)
		if err != nil {
			return nil, err
		}
		if pt != nil {
			tt.Merge(pt)
		}
	}
	// tt is this call's own (Merge into an empty target copies every list it
	// appends to and every map), so t merges into it directly rather than
	// into a second copy. What merging tt into an empty target would still
	// do is normalize the lists buildflags merges (in place for attest,
	// secret and ssh, as their Merge does with a nil receiver).
	if tt.Attest != nil {
		tt.Attest.Normalize()
	}
	if tt.CacheFrom != nil {
		tt.CacheFrom = tt.CacheFrom.Normalize()
	}
	if tt.Secrets != nil {
		tt.Secrets.Normalize()
	}
	if tt.SSH != nil {
		tt.SSH.Normalize()
	}
	m := tt
	m.Merge(t)
	if err := m.AddOverrides(o[name]); err != nil {
		return nil, r.c.overrideErrorAt(name, err)
	}
	m.normalize()
	visited[name] = m
	return m, nil
}

// loadLinks adds to m the targets that t references with `target:` contexts,
// recursively, as cacheonly builds; entitlements flow to the referencing target.
func (r *resolver) loadLinks(name string, t *Target, m map[string]*Target, o Overrides, visited []string) error {
	visited = append(visited, name)
	for _, k := range sortedKeys(t.Contexts) {
		target, ok := strings.CutPrefix(t.Contexts[k], "target:")
		if !ok {
			continue
		}
		if target == name {
			return r.contextErrorAt(name, k, o, fmt.Errorf("target %s cannot link to itself", target))
		}
		if slices.Contains(visited, target) {
			return r.contextErrorAt(name, k, o, fmt.Errorf("infinite loop from %s to %s (%s)", name, target, strings.Join(append(visited, target), " -> ")))
		}
		t2, ok := m[target]
		if !ok {
			if r.target(target) == nil {
				return r.contextErrorAt(name, k, o,
					fmt.Errorf("failed to find target %s, in context %q of target %q", target, k, name))
			}
			var err error
			t2, err = r.resolveTarget(target, o)
			if err != nil {
				return err
			}
			t2.Outputs = []*buildflags.ExportEntry{{Type: "cacheonly"}}
			t2.linked = true
			m[target] = t2
		}
		if err := r.loadLinks(target, t2, m, o, visited); err != nil {
			return err
		}
		for _, ent := range t2.Entitlements {
			if !slices.Contains(t.Entitlements, ent) {
				t.Entitlements = append(t.Entitlements, ent)
			}
		}
		if len(t.Platforms) > 1 && len(t2.Platforms) > 1 && !isSubset(t.Platforms, t2.Platforms) {
			return r.contextErrorAt(name, k, o, fmt.Errorf("target %s can't be used by %s because its platforms %v are not a subset of %v", target, name, t.Platforms, t2.Platforms))
		}
	}
	return nil
}

// contextErrorAt places err, about context key of target name, where that
// context was written.
func (r *resolver) contextErrorAt(name, key string, o Overrides, err error) error {
	org := r.valueOrigin(name, "contexts", key, o, keyNarrow(key))
	return at(org.rng, org.explain(err))
}

func isSubset(s1, s2 []string) bool {
	for _, item := range s1 {
		if !slices.Contains(s2, item) {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
