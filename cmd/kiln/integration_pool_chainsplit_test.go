package main

// A target: chain built for two platforms over a pool of a linux/amd64
// node and a linux/arm64 node: split by platform, every (target, platform)
// on its platform's node, and the outputs what one node writes.

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"
)

// base and app (FROM base) for linux/amd64 and linux/arm64, over the pool
// and on one node: each (target, platform) on its platform's node, app's
// part using base's part for its platform (its /etc/kiln-release says the
// architecture), and the same per-platform manifests and local trees.
func TestIntegrationPoolChainSplit(t *testing.T) {
	amd, arm := servePoolNode(t), servePoolNode(t)
	dir := t.TempDir()
	n := nonce()
	// base with outputs of its own too: a dependency's parts are joined.
	// rewrite-timestamp: the layers' times are SOURCE_DATE_EPOCH's, not
	// those of each engine's build, so that two engines' images can be
	// compared by digest.
	writeFiles(t, dir, map[string]string{"docker-bake.hcl": fmt.Sprintf(`variable "OUT" {}
target "base" {
  context   = %q
  platforms = %s
  output    = ["type=oci,rewrite-timestamp=true,dest=${OUT}/base.tar", "type=local,dest=${OUT}/base"]
}
target "app" {
  contexts  = { base = "target:base" }
  platforms = %s
  dockerfile-inline = "FROM base\nRUN echo chain-%s > /app && uname -m >> /app && cat /etc/kiln-release >> /app\n"
  output    = ["type=oci,rewrite-timestamp=true,dest=${OUT}/app.tar", "type=local,dest=${OUT}/app"]
}
`, demoBaseDir, hclList(bothPlatforms), hclList(bothPlatforms), n)})
	pool := writePool(t, dir, fmt.Sprintf("node \"amd\" {\n  address = %q\n  platforms = [\"linux/amd64\"]\n}\nnode \"arm\" {\n  address = %q\n  platforms = [\"linux/arm64\"]\n}\n", amd.addr, arm.addr))
	poolOut, oneOut := filepath.Join(dir, "pool"), filepath.Join(dir, "one")
	client := &kilnEnv{root: t.TempDir(), env: []string{"OUT=" + poolOut, "SOURCE_DATE_EPOCH=0"}}
	r := client.bake(t, dir, "--pool", pool, "base", "app").mustSucceed(t)
	for _, tg := range []string{"base", "app"} {
		for _, want := range []string{"linux/amd64\\s+amd", "linux/arm64\\s+arm"} {
			if !regexp.MustCompile(`(?m)^\s+` + tg + `\s+` + want + `\s+succeeded`).MatchString(r.out) {
				t.Errorf("want a summary row %s %s:\n%s", tg, want, tail(r.out, 12))
			}
		}
	}
	// Each part ran on its own platform's node, natively.
	for p, node := range map[string]string{"linux/amd64": "amd", "linux/arm64": "arm"} {
		if !regexp.MustCompile(`\[app ` + p + `@` + node + `[^\]]*\]`).MatchString(r.out) {
			t.Errorf("no progress of app's %s part on %s:\n%s", p, node, tail(r.out, 30))
		}
	}

	one := sharedEngine(t).with("OUT="+oneOut, "SOURCE_DATE_EPOCH=0")
	one.bake(t, dir, "base", "app").mustSucceed(t)
	for _, tg := range []string{"base", "app"} {
		got, want := platformDigests(t, readOCITar(t, filepath.Join(poolOut, tg+".tar"))), platformDigests(t, readOCITar(t, filepath.Join(oneOut, tg+".tar")))
		if len(want) != 2 || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: per-platform manifests over the pool %v, on one node %v", tg, got, want)
		}
		if got, want := treeOf(t, filepath.Join(poolOut, tg)), treeOf(t, filepath.Join(oneOut, tg)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: local tree over the pool\n%v\non one node\n%v", tg, got, want)
		}
	}
	for p, arch := range map[string]string{"linux_amd64": "x86_64", "linux_arm64": "aarch64"} {
		if got, want := readFile(t, filepath.Join(poolOut, "app", p, "app")), "chain-"+n+"\n"+arch+"\nkiln-demo-base dev "+arch+"\n"; got != want {
			t.Errorf("app %s: /app = %q, want %q", p, got, want)
		}
	}
}

// platformDigests are an OCI layout's image manifests by platform
// (attestations left out), through any nesting of indexes.
func platformDigests(t *testing.T, l *ociLayout) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func(b []byte, depth int)
	walk = func(b []byte, depth int) {
		var m manifestOrIndex
		if err := json.Unmarshal(b, &m); err != nil || depth > 4 {
			t.Fatalf("index: %v (depth %d)", err, depth)
		}
		for _, d := range m.Manifests {
			if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
				continue
			}
			mb, err := l.manifest(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			var sub manifestOrIndex
			if err := json.Unmarshal(mb, &sub); err != nil {
				t.Fatal(err)
			}
			if sub.isIndex() {
				walk(mb, depth+1)
				continue
			}
			if d.Platform == nil {
				t.Fatalf("manifest %s without a platform", d.Digest)
			}
			out[d.Platform.OS+"/"+d.Platform.Architecture] = d.Digest
		}
	}
	walk(l.files["index.json"], 0)
	return out
}
