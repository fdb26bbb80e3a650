package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestIntegrationPoolRemoteDefinition reads a remote bake definition
// (served by `git daemon` on 127.0.0.1) for a run over a pool: named by a
// buildx builder of two nodes, and given as two --builder addresses the
// first of which does not answer. The definition is read on the pool's
// first answering node, and the targets are built over the pool.
func TestIntegrationPoolRemoteDefinition(t *testing.T) {
	a, b := servePoolNode(t), servePoolNode(t)
	cfg := buildxPair(t, a.addr, b.addr)
	n := nonce()
	git, _ := serveGitFiles(t, map[string]string{
		"docker-bake.hcl": `group "default" {
  targets = ["one", "two"]
}
target "one" {
  output = ["type=cacheonly"]
}
target "two" {
  context = "two"
  output  = ["type=cacheonly"]
}
`,
		"Dockerfile":     "FROM scratch\nCOPY f /f\n",
		"f":              "remote pool one " + n,
		"two/Dockerfile": "FROM scratch\nCOPY g /g\n",
		"two/g":          "remote pool two " + n,
	})
	url := git + "#main"
	dead := "unix://" + filepath.Join(t.TempDir(), "nobody.sock")
	client := &kilnEnv{root: t.TempDir(), env: []string{"BUILDX_CONFIG=" + cfg}}
	dir := t.TempDir()
	for _, builders := range [][]string{{"pair"}, {dead, a.addr}} {
		var args []string
		for _, bd := range builders {
			args = append(args, "--builder", bd)
		}
		p := client.kiln(t, dir, append(append([]string{"bake", "--print"}, args...), url)...).mustSucceed(t)
		if !strings.Contains(p.out, `"one"`) || !strings.Contains(p.out, `"two"`) {
			t.Errorf("--print %v: the remote definition's targets are not printed:\n%s", builders, tail(p.out, 30))
		}
		r := client.bake(t, dir, append(args, url)...).mustSucceed(t)
		if built, _ := builtAndSkipped(t, r); !slices.Equal(built, []string{"one", "two"}) {
			t.Errorf("bake %v: built %v, want [one two]:\n%s", builders, built, tail(r.out, 20))
		}
		if !strings.Contains(r.out, "on a pool of") {
			t.Errorf("bake %v: not built over the pool:\n%s", builders, tail(r.out, 12))
		}
	}
}
