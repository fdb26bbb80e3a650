package bake

// normalize removes duplicates and empty values the way buildx does before
// printing or building, and derives entitlements the target implies.
func (t *Target) normalize() {
	t.Annotations = removeDupes(t.Annotations)
	t.Attest = t.Attest.Normalize()
	t.Tags = removeDupes(t.Tags)
	t.Secrets = t.Secrets.Normalize()
	t.SSH = t.SSH.Normalize()
	t.Platforms = removeDupes(t.Platforms)
	t.CacheFrom = t.CacheFrom.Normalize()
	t.CacheTo = t.CacheTo.Normalize()
	t.Outputs = t.Outputs.Normalize()
	t.NoCacheFilter = removeDupes(t.NoCacheFilter)
	t.Ulimits = removeDupes(t.Ulimits)

	if t.NetworkMode != nil && *t.NetworkMode == "host" {
		t.Entitlements = append(t.Entitlements, "network.host")
	}
	t.Entitlements = removeDupes(t.Entitlements)

	for k, v := range t.Contexts {
		if v == "" {
			delete(t.Contexts, k)
		}
	}
	if len(t.Contexts) == 0 {
		t.Contexts = nil
	}
}

// removeDupes drops empty strings and repeats, in place, keeping order. The
// result is clipped to its length: the slice may be shared (Merge, inherits),
// and an append to it must not write into the room the dropped items leave
// (buildx v0.38.2 does: `--set b.tags+=z` then adds z to every target
// sharing b's parent's tags).
func removeDupes(s []string) []string {
	i := 0
	seen := make(map[string]struct{}, len(s))
	for _, v := range s {
		if _, ok := seen[v]; ok || v == "" {
			continue
		}
		seen[v] = struct{}{}
		s[i] = v
		i++
	}
	return s[:i:i]
}
