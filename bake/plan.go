package bake

import (
	"fmt"
	"sort"
	"strings"
)

// Plan is what kiln builds: the requested targets (and the targets they
// reference through `target:` contexts) after inheritance, overrides and
// defaults. Its JSON is exactly what `docker buildx bake --print` prints.
type Plan struct {
	Groups  map[string]*Group  `json:"group,omitempty"`
	Targets map[string]*Target `json:"target"`
	// InheritsCycles are the cycles in inherits that resolving the targets
	// cut (buildx accepts them silently; kiln warns).
	InheritsCycles []InheritsCycle `json:"-"`

	// resolver and overrides are what resolved the plan, for placing the
	// errors of the checks Load runs on it; nil for a Plan made otherwise.
	resolver  *resolver
	overrides Overrides
}

// checkErrorAt names the target whose check failed with err and, when it
// can, where the value at fault was written.
func (p *Plan) checkErrorAt(name string, err error) error {
	if p.resolver == nil {
		return fmt.Errorf("target %s: %w", name, err)
	}
	return p.resolver.specErrorAt(name, p.overrides, err)
}

// ResolvePlan resolves the requested names (targets, groups, glob patterns;
// "default" when none) against c, applying the --set overrides, as buildx
// ReadTargets does. Every requested name also becomes a member of the
// "default" group of the plan unless it is the "default" group itself.
func (c Config) ResolvePlan(requested, overrides []string, lookupEnv func(string) (string, bool)) (*Plan, error) {
	if len(requested) == 0 {
		requested = []string{"default"}
	}
	var names []string
	for _, r := range requested {
		// compose service names may contain dots; target names cannot
		m, err := c.matchNames(strings.ReplaceAll(r, ".", "_"))
		if err != nil {
			return nil, err
		}
		names = append(names, m...)
	}
	names = dedupStrings(names)

	o, err := c.ParseOverrides(overrides, lookupEnv)
	if err != nil {
		return nil, err
	}

	r := c.resolver()
	p := &Plan{Groups: map[string]*Group{}, Targets: map[string]*Target{}, resolver: r, overrides: o}
	for _, name := range names {
		ts, gs := r.resolveGroup(name)
		for _, tname := range ts {
			t, err := r.resolveTarget(tname, o)
			if err != nil {
				if chain, ok := r.groupCycles[tname]; ok && r.target(tname) == nil {
					// placed where the last group of the chain lists the first
					return nil, at(c.elemRange("group", chain[len(chain)-2], "targets", tname),
						fmt.Errorf("failed to find target %s: group %s includes itself (%s)", tname, tname, strings.Join(chain, " -> ")))
				}
				if g := r.listingGroup(gs, tname); g != "" && r.target(tname) == nil {
					return nil, at(c.elemRange("group", g, "targets", tname),
						fmt.Errorf("failed to find target %s, in group %q", tname, g))
				}
				return nil, err
			}
			p.Targets[tname] = t
		}
		for _, gname := range gs {
			if g := r.group(gname); g != nil {
				p.Groups[gname] = g
			}
		}
	}

	for _, name := range names {
		_, isGroup := p.Groups["default"]
		if isGroup && name == "default" {
			continue
		}
		if !isGroup {
			p.Groups["default"] = &Group{Name: "default"}
		}
		p.Groups["default"].Targets = append(p.Groups["default"].Targets, name)
	}
	if g, ok := p.Groups["default"]; ok {
		g.Targets = dedupStrings(g.Targets)
		sort.Strings(g.Targets)
	}

	for _, name := range sortedKeys(p.Targets) {
		if err := r.loadLinks(name, p.Targets[name], p.Targets, o, nil); err != nil {
			return nil, err
		}
	}
	for _, name := range sortedKeys(p.Targets) {
		p.InheritsCycles = append(p.InheritsCycles, r.inheritsCycles(name)...)
	}
	return p, nil
}
