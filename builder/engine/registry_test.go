package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/internal/testenv"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
)

// TestRegistryPushAndMirror pushes an image to a plain-HTTP registry on
// 127.0.0.1, then pulls it back as docker.io/... through a mirror set in
// the state directory's buildkitd.toml: without the config file the pull
// would go to the internet and fail.
func TestRegistryPushAndMirror(t *testing.T) {
	requireEngine(t)
	base := busyboxDir(t, "amd64")
	reg := testenv.StartRegistry(t)
	root := t.TempDir()
	toml := fmt.Sprintf("[registry.\"docker.io\"]\n  mirrors = [%q]\n[registry.%q]\n  http = true\n", reg, reg)
	if err := os.WriteFile(filepath.Join(root, ConfigFileName), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	e := startEngine(t, root)

	img := sh(baseImage(), "echo pushed > /pushed").Root()
	ref := reg + "/kiln/test:latest"
	res := solve(t, e.Client(), img, base, client.SolveOpt{Exports: []client.ExportEntry{{
		Type:  client.ExporterImage,
		Attrs: map[string]string{"name": ref, "push": "true"},
	}}})
	dgst := res.response.ExporterResponse["containerimage.digest"]
	if dgst == "" {
		t.Fatalf("no image digest in %v", res.response.ExporterResponse)
	}

	got := testenv.ManifestDigest(t, reg, "kiln/test", "latest")
	if got == "" {
		t.Fatal("registry has no kiln/test:latest")
	}
	if got != dgst {
		t.Errorf("registry digest %s, pushed %s", got, dgst)
	}

	pulled := llb.Image("docker.io/kiln/test:latest")
	out := sh(pulled, "cat /pushed > /out/pulled").AddMount("/out", llb.Scratch())
	res = solve(t, e.Client(), out, "", client.SolveOpt{})
	if got := readFile(t, filepath.Join(res.out, "pulled")); strings.TrimSpace(got) != "pushed" {
		t.Errorf("pulled = %q", got)
	}
}
