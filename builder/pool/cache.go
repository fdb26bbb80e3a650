package pool

import (
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/kiln-build/kiln/builder/request"
	"github.com/moby/buildkit/client"
)

// Cache is the cache the nodes of a pool share: a registry repository
// and/or a directory on this machine. Each unit exports mode=max cache to
// its own place (a tag of the repository, a subdirectory), so no two
// targets or platforms overwrite each other's cache (buildx #3819), and
// imports its own and its target: dependencies' (a stage built on node A
// is then a cache hit on node B).
type Cache struct {
	// Registry is HOST/REPO ("" for none).
	Registry string
	// Dir is a directory for type=local cache ("" for none). BuildKit
	// reads and writes it through the session, on the machine kiln runs on.
	Dir string
}

// Enabled reports whether any shared cache is set.
func (c Cache) Enabled() bool { return c.Registry != "" || c.Dir != "" }

// Apply returns r with the pool's cache added to its own cache-from and
// cache-to (which are kept, first); r itself is not changed. reqs are the
// run's requests by target, for the dependencies' refs.
func (c Cache) Apply(r *request.Request, reqs map[string]*request.Request) *request.Request {
	if !c.Enabled() || r.Call != nil {
		return r
	}
	out := *r
	out.CacheImports = slices.Clone(r.CacheImports)
	out.CacheExports = slices.Clone(r.CacheExports)
	from := []*request.Request{r}
	for _, d := range slices.Sorted(maps.Values(r.Deps)) {
		if dr := reqs[d]; dr != nil && !slices.Contains(from, dr) {
			from = append(from, dr)
		}
	}
	for _, fr := range from {
		key := UnitKey(fr)
		if c.Registry != "" {
			out.CacheImports = append(out.CacheImports, client.CacheOptionsEntry{Type: "registry", Attrs: map[string]string{"ref": c.Registry + ":" + key}})
		}
		if c.Dir != "" {
			out.CacheImports = append(out.CacheImports, client.CacheOptionsEntry{Type: "local", Attrs: map[string]string{"src": filepath.Join(c.Dir, key)}})
		}
	}
	key := UnitKey(r)
	if c.Registry != "" {
		out.CacheExports = append(out.CacheExports, client.CacheOptionsEntry{Type: "registry", Attrs: map[string]string{"ref": c.Registry + ":" + key, "mode": "max"}})
	}
	if c.Dir != "" {
		out.CacheExports = append(out.CacheExports, client.CacheOptionsEntry{Type: "local", Attrs: map[string]string{"dest": filepath.Join(c.Dir, key), "mode": "max"}})
	}
	return &out
}

var notInTag = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// UnitKey names a (target, platform) unit as a tag and a directory name:
// "kiln-web-linux-arm64-v8". A target built for the node's own platform
// is "kiln-web".
func UnitKey(r *request.Request) string {
	k := "kiln-" + r.Target
	if ps := UnitPlatforms(r); len(ps) > 0 {
		k += "-" + strings.Join(ps, "_")
	}
	k = notInTag.ReplaceAllString(strings.ReplaceAll(k, "/", "-"), "-")
	if len(k) > 128 { // the longest tag a registry takes
		k = k[:128]
	}
	return k
}
