package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestIntegrationRegistryCache exports a build's cache to the test registry
// (cache-to type=registry, mode=max), then builds the same target on an empty
// engine (a new KILN_ROOT) importing it (cache-from): its steps are cache hits,
// and the result is the same.
func TestIntegrationRegistryCache(t *testing.T) {
	first := sharedEngine(t)
	r := testRegistry(t)
	dir := t.TempDir()
	n := nonce()
	ref := fmt.Sprintf("%s/kiln-it/cache-%s:buildcache", r.Addr, n)
	writeFiles(t, dir, map[string]string{
		"Dockerfile": fmt.Sprintf("FROM base\nRUN echo registry-cache-%s > /marker\nRUN cat /proc/sys/kernel/random/uuid > /random && uname -m >> /marker\n", n),
		"docker-bake.hcl": baseTarget(t, bothPlatforms...) + fmt.Sprintf(`
variable "OUT" {}
target "app" {
  contexts   = { base = "target:base" }
  platforms  = %s
  cache-from = ["type=registry,ref=%s"]
  cache-to   = ["type=registry,ref=%s,mode=max"]
  output     = ["type=local,dest=${OUT}"]
}
`, hclList(bothPlatforms), ref, ref),
	})
	r1 := first.with("OUT=out1").bake(t, dir, "app").mustSucceed(t)
	mustRan(t, r1, "registry-cache-"+n)
	if _, _, err := (registryRepo{r, "kiln-it/cache-" + n}).get("manifests", "buildcache"); err != nil {
		t.Fatalf("no cache manifest in the registry after cache-to: %v", err)
	}

	empty := freshEngine(t)
	r2 := empty.with("OUT=out2").bake(t, dir, "app").mustSucceed(t)
	mustCached(t, r2, "registry-cache-"+n)
	// The last step's result comes from the imported cache, not from running
	// it again: it holds the same random value. (BuildKit's progress may show
	// such a step as DONE rather than CACHED while it pulls its layers.)
	for _, p := range bothPlatforms {
		pd := strings.ReplaceAll(p, "/", "_")
		for _, f := range []string{"marker", "random"} {
			a := readFile(t, filepath.Join(dir, "out1", pd, f))
			b := readFile(t, filepath.Join(dir, "out2", pd, f))
			if a != b {
				t.Errorf("%s: /%s is %q from the first engine, %q from the cache import: the step ran again", p, f, a, b)
			}
		}
		if m := readFile(t, filepath.Join(dir, "out2", pd, "marker")); !strings.HasSuffix(m, unameOf[p]+"\n") {
			t.Errorf("%s: /marker = %q", p, m)
		}
	}
}
