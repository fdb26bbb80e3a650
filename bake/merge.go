package bake

// Merge applies t2 over t, the way a later definition (a later file, or the
// child in `inherits`) overrides an earlier one. Lists marked "merge" are
// appended; the others are replaced. Nil map values (`null` in a file) never
// replace anything.
func (t *Target) Merge(t2 *Target) {
	t.paths.merge(&t2.paths, t2.Context != nil, t2.Contexts)
	if t2.Context != nil {
		t.Context = t2.Context
	}
	if t2.Dockerfile != nil {
		t.Dockerfile = t2.Dockerfile
	}
	if t2.DockerfileInline != nil {
		t.DockerfileInline = t2.DockerfileInline
	}
	t.Args = mergeValues(t.Args, t2.Args)
	for k, v := range t2.Contexts {
		if t.Contexts == nil {
			t.Contexts = map[string]string{}
		}
		t.Contexts[k] = v
	}
	t.Labels = mergeValues(t.Labels, t2.Labels)
	if t2.Tags != nil { // no merge
		t.Tags = t2.Tags
	}
	if t2.Target != nil {
		t.Target = t2.Target
	}
	if t2.Call != nil {
		t.Call = t2.Call
	}
	if t2.Annotations != nil { // merge
		t.Annotations = append(t.Annotations, t2.Annotations...)
	}
	if t2.Attest != nil { // merge
		t.Attest = t.Attest.Merge(t2.Attest)
	}
	if t2.Policy != nil { // merge
		t.Policy = append(t.Policy, t2.Policy...)
	}
	if t2.Secrets != nil { // merge
		t.Secrets = t.Secrets.Merge(t2.Secrets)
	}
	if t2.SSH != nil { // merge
		t.SSH = t.SSH.Merge(t2.SSH)
	}
	if t2.Platforms != nil { // no merge
		t.Platforms = t2.Platforms
	}
	if t2.CacheFrom != nil { // merge
		t.CacheFrom = t.CacheFrom.Merge(t2.CacheFrom)
	}
	if t2.CacheTo != nil { // no merge
		t.CacheTo = t2.CacheTo
	}
	if t2.Outputs != nil { // no merge
		t.Outputs = t2.Outputs
	}
	if t2.Pull != nil {
		t.Pull = t2.Pull
	}
	if t2.NoCache != nil {
		t.NoCache = t2.NoCache
	}
	if t2.NetworkMode != nil {
		t.NetworkMode = t2.NetworkMode
	}
	if t2.NoCacheFilter != nil { // merge
		t.NoCacheFilter = append(t.NoCacheFilter, t2.NoCacheFilter...)
	}
	if t2.ShmSize != nil {
		t.ShmSize = t2.ShmSize
	}
	if t2.Ulimits != nil { // merge
		t.Ulimits = append(t.Ulimits, t2.Ulimits...)
	}
	if t2.Resources != nil { // merge
		t.Resources = t.Resources.Merge(t2.Resources)
	}
	if t2.Description != "" {
		t.Description = t2.Description
	}
	if t2.Entitlements != nil { // merge
		t.Entitlements = append(t.Entitlements, t2.Entitlements...)
	}
	t.ExtraHosts = mergeValues(t.ExtraHosts, t2.ExtraHosts)
	t.Inherits = append(t.Inherits, t2.Inherits...)
}

func mergeValues(dst, src map[string]*string) map[string]*string {
	for k, v := range src {
		if v == nil {
			continue
		}
		if dst == nil {
			dst = map[string]*string{}
		}
		dst[k] = v
	}
	return dst
}

// mergeConfig appends c2's groups and targets to c1's, merging same-named
// targets into the first one (buildx keeps the duplicate entries; dedupeConfig
// removes them).
func mergeConfig(c1, c2 Config) Config {
	if c1.Groups == nil {
		c1.Groups = []*Group{}
	}
	for _, g2 := range c2.Groups {
		g1 := c1.group(g2.Name)
		if g1 == nil {
			c1.Groups = append(c1.Groups, g2)
			continue
		}
		for _, t2 := range g2.Targets {
			if !containsString(g1.Targets, t2) {
				g1.Targets = append(g1.Targets, t2)
			}
		}
		c1.Groups = append(c1.Groups, g1)
	}
	if c1.Targets == nil {
		c1.Targets = []*Target{}
	}
	first := make(map[string]*Target, len(c1.Targets)+len(c2.Targets))
	for _, t := range c1.Targets {
		if _, ok := first[t.Name]; !ok {
			first[t.Name] = t
		}
	}
	for _, t2 := range c2.Targets {
		if t1 := first[t2.Name]; t1 != nil {
			t1.Merge(t2)
			t2 = t1
		} else {
			first[t2.Name] = t2
		}
		c1.Targets = append(c1.Targets, t2)
	}
	return c1
}

// dedupeConfig merges targets declared more than once (first position wins)
// and removes duplicate members of groups.
func dedupeConfig(c Config) Config {
	c2 := c
	c2.Groups = make([]*Group, 0, len(c.Groups))
	for _, g := range c.Groups {
		g1 := *g
		g1.Targets = dedupStrings(g1.Targets)
		c2.Groups = append(c2.Groups, &g1)
	}
	c2.Targets = make([]*Target, 0, len(c.Targets))
	seen := map[string]*Target{}
	for _, t := range c.Targets {
		if t2, ok := seen[t.Name]; ok {
			if t2 != t {
				t2.Merge(t)
			}
			continue
		}
		seen[t.Name] = t
		c2.Targets = append(c2.Targets, t)
	}
	return c2
}

// group returns the first group named name, or nil.
func (c Config) group(name string) *Group {
	for _, g := range c.Groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// target returns the first target named name, or nil.
func (c Config) target(name string) *Target {
	for _, t := range c.Targets {
		if t.Name == name {
			return t
		}
	}
	return nil
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// dedupStrings keeps the first occurrence of each value, in order.
func dedupStrings(s []string) []string {
	if len(s) == 0 {
		return s
	}
	var res []string
	seen := make(map[string]struct{})
	for _, v := range s {
		if _, ok := seen[v]; !ok {
			res = append(res, v)
			seen[v] = struct{}{}
		}
	}
	return res
}
