package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// TestIntegrationBuildxParity builds the demo twice: with `buildx bake` (the
// oracle, v0.38.2, driver remote) against `kiln engine serve`, and with
// `kiln bake` on the embedded engine. Every output must hold the same files
// and image configuration, and the metadata files the same keys. It also shows
// that buildx can use kiln's daemon. Skipped when buildx is not installed.
func TestIntegrationBuildxParity(t *testing.T) {
	buildx := findBuildx()
	if buildx == "" {
		t.Skip("buildx not installed (go install github.com/docker/buildx/cmd/buildx@v0.38.2)")
	}
	e := sharedEngine(t)
	root := repoRoot(t)

	// buildx, on kiln's daemon (its own state).
	engineAddr, _ := serveFreshEngine(t, "")
	bxCfg := t.TempDir()
	bxDist, bxMeta := t.TempDir(), filepath.Join(t.TempDir(), "metadata.json")
	runBuildx := func(args ...string) {
		t.Helper()
		cmd := exec.Command(buildx, args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "BUILDX_CONFIG="+bxCfg, "DIST="+bxDist)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("buildx %s: %v\n%s", strings.Join(args, " "), err, tail(string(out), 40))
		}
	}
	runBuildx("create", "--name", "kiln", "--driver", "remote", engineAddr)
	runBuildx("bake", "--builder", "kiln", "--progress=plain", "--allow=fs.write="+bxDist,
		"--metadata-file", bxMeta)

	// kiln, embedded.
	kDist, kMeta := t.TempDir(), filepath.Join(t.TempDir(), "metadata.json")
	e.with("DIST="+kDist).bake(t, root, "--allow=fs.write="+kDist, "--metadata-file", kMeta).mustSucceed(t)

	for _, name := range []string{"base.oci.tar", "api.oci.tar", "tools.oci"} {
		t.Run(name, func(t *testing.T) {
			read := readOCITar
			if !strings.HasSuffix(name, ".tar") {
				read = readOCIDir
			}
			want := read(t, filepath.Join(bxDist, name)).images(t)
			got := read(t, filepath.Join(kDist, name)).images(t)
			if len(want) == 0 || len(got) != len(want) {
				t.Fatalf("buildx made %d platform images, kiln %d", len(want), len(got))
			}
			for p, w := range want {
				g, ok := got[p]
				if !ok {
					t.Errorf("kiln has no %s image", p)
					continue
				}
				if !reflect.DeepEqual(w.config.Config, g.config.Config) {
					t.Errorf("%s: image config differs\nbuildx: %+v\nkiln:   %+v", p, w.config.Config, g.config.Config)
				}
				diffTrees(t, p, w.files(t), g.files(t))
			}
		})
	}
	for _, name := range []string{"web", "worker-fast", "worker-thorough"} {
		t.Run(name, func(t *testing.T) {
			diffTrees(t, name, dirTree(t, filepath.Join(bxDist, name)), dirTree(t, filepath.Join(kDist, name)))
		})
	}
	t.Run("metadata keys", func(t *testing.T) {
		want, got := metadataKeys(t, bxMeta), metadataKeys(t, kMeta)
		if !reflect.DeepEqual(want, got) {
			t.Errorf("metadata keys differ\nbuildx: %v\nkiln:   %v", want, got)
		}
	})
}

// diffTrees reports files that differ between buildx's and kiln's output.
func diffTrees(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: buildx's output is empty", what)
	}
	var diffs []string
	for p, w := range want {
		if g, ok := got[p]; !ok {
			diffs = append(diffs, "only buildx: "+p)
		} else if g != w {
			diffs = append(diffs, "differs: "+p)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			diffs = append(diffs, "only kiln: "+p)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		if len(diffs) > 20 {
			diffs = append(diffs[:20], "...")
		}
		t.Errorf("%s: outputs differ:\n%s", what, strings.Join(diffs, "\n"))
	}
}

// dirTree reads a directory's regular files and symlinks like image.files.
func dirTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			out[filepath.ToSlash(rel)] = "-> " + target
			return err
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			out[filepath.ToSlash(rel)] = string(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// metadataKeys returns each target's metadata keys.
func metadataKeys(t *testing.T, p string) map[string][]string {
	t.Helper()
	var md map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(readFile(t, p)), &md); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	out := map[string][]string{}
	for target, kv := range md {
		for k := range kv {
			out[target] = append(out[target], k)
		}
		sort.Strings(out[target])
	}
	return out
}
