package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestIntegrationDemo builds the top-level docker-bake.hcl (the README's demo)
// on the embedded engine, inspects every output, and checks that a second run
// is all cache hits.
func TestIntegrationDemo(t *testing.T) {
	e := sharedEngine(t)
	root := repoRoot(t)
	dist := t.TempDir()
	demo := *e
	demo.env = append(append([]string{}, e.env...), "DIST="+dist)
	meta := filepath.Join(t.TempDir(), "metadata.json")

	r := demo.bake(t, root, "--allow=fs.write="+dist, "--metadata-file", meta).mustSucceed(t)
	secret := strings.TrimSpace(readFile(t, filepath.Join(root, "testdata/demo/secrets/demo-token.txt")))
	both := []string{"linux/amd64", "linux/arm64"}
	arch := map[string]string{"linux/amd64": "x86_64", "linux/arm64": "aarch64"}

	t.Run("base", func(t *testing.T) {
		imgs := readOCITar(t, filepath.Join(dist, "base.oci.tar")).images(t)
		mustPlatforms(t, "base.oci.tar", imgs, both...)
		for p, img := range imgs {
			fs := img.files(t)
			if _, ok := fs["bin/busybox"]; !ok {
				t.Errorf("%s: no bin/busybox in the base image", p)
			}
			if got := fs["bin/sh"]; got != "-> /bin/busybox" && got != "-> busybox" {
				t.Errorf("%s: bin/sh is %q, want a link to busybox", p, got)
			}
			// The RUN ran on the image's own architecture (arm64 under qemu).
			if got, want := fs["etc/kiln-release"], "kiln-demo-base 0.1.0 "+arch[p]+"\n"; got != want {
				t.Errorf("%s: etc/kiln-release = %q, want %q", p, got, want)
			}
		}
	})

	t.Run("api", func(t *testing.T) {
		imgs := readOCITar(t, filepath.Join(dist, "api.oci.tar")).images(t)
		mustPlatforms(t, "api.oci.tar", imgs, both...)
		for p, img := range imgs {
			fs := img.files(t)
			if got := fs["srv/api/token.status"]; got != "token configured: yes\n" {
				t.Errorf("%s: token.status = %q: the secret was not readable during RUN", p, got)
			}
			// Exactly one "fetch": both platforms share the locked cache mount.
			if got, want := fs["srv/api/deps.lock"], "router@1.0\njson@1.0\nlog@1.0\n"; got != want {
				t.Errorf("%s: deps.lock = %q, want the cache mount's deps %q", p, got, want)
			}
			if got := fs["srv/api/build-info.txt"]; got != "api 0.1.0 built on "+arch[p]+"\n" {
				t.Errorf("%s: build-info.txt = %q", p, got)
			}
			for _, ignored := range []string{"srv/api/NOTES.md", "srv/api/local.env"} {
				if _, ok := fs[ignored]; ok {
					t.Errorf("%s: %s is in the image; .dockerignore excludes it", p, ignored)
				}
			}
			if _, ok := fs["etc/kiln-release"]; !ok {
				t.Errorf("%s: api does not start from the base target (no etc/kiln-release)", p)
			}
			if img.config.Config.Labels["org.opencontainers.image.version"] != "0.1.0" {
				t.Errorf("%s: labels %v", p, img.config.Config.Labels)
			}
			img.mustNotContain(t, secret)
		}
	})

	t.Run("worker matrix", func(t *testing.T) {
		for _, flavour := range []string{"fast", "thorough"} {
			for _, p := range both {
				dir := filepath.Join(dist, "worker-"+flavour, strings.ReplaceAll(p, "/", "_"))
				want := "worker 0.1.0 flavour=" + flavour + " arch=" + arch[p] + "\n"
				if got := readFile(t, filepath.Join(dir, "etc/worker.conf")); got != want {
					t.Errorf("worker-%s %s: etc/worker.conf = %q, want %q", flavour, p, got, want)
				}
				if fi, err := os.Stat(filepath.Join(dir, "usr/local/bin/worker")); err != nil || fi.Mode()&0o111 == 0 {
					t.Errorf("worker-%s %s: worker script missing or not executable: %v", flavour, p, err)
				}
			}
		}
	})

	t.Run("web", func(t *testing.T) {
		for _, p := range both {
			dir := filepath.Join(dist, "web", strings.ReplaceAll(p, "/", "_"))
			if got := readFile(t, filepath.Join(dir, "index.html")); !strings.Contains(got, "version 0.1.0,") {
				t.Errorf("web %s: index.html does not carry the version:\n%s", p, got)
			}
			for _, f := range []string{"about.html", "style.css", "style.css.gz"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("web %s: %v", p, err)
				}
			}
			// FROM scratch: the site holds the content only.
			if _, err := os.Stat(filepath.Join(dir, "bin")); err == nil {
				t.Errorf("web %s: the site output contains /bin", p)
			}
		}
	})

	t.Run("tools", func(t *testing.T) {
		imgs := readOCIDir(t, filepath.Join(dist, "tools.oci")).images(t)
		mustPlatforms(t, "tools.oci", imgs, both...)
		for p, img := range imgs {
			fs := img.files(t)
			for _, f := range []string{"etc/tools-lint-ok", "usr/local/bin/kiln-doctor", "usr/local/bin/wait-for"} {
				if _, ok := fs[f]; !ok {
					t.Errorf("%s: no %s in tools", p, f)
				}
			}
		}
	})

	t.Run("metadata", func(t *testing.T) {
		b := readFile(t, meta)
		if strings.Contains(b, secret) {
			t.Errorf("the metadata file contains the secret")
		}
		var md map[string]map[string]any
		if err := json.Unmarshal([]byte(b), &md); err != nil {
			t.Fatalf("metadata file: %v\n%s", err, b)
		}
		for _, target := range []string{"base", "api", "worker-fast", "worker-thorough", "web", "tools"} {
			if _, ok := md[target]; !ok {
				t.Errorf("metadata has no entry for %s: %s", target, b)
			}
		}
	})

	t.Run("second run is cached", func(t *testing.T) {
		if !strings.Contains(r.out, "RUN") {
			t.Fatalf("the first run shows no RUN step:\n%s", tail(r.out, 40))
		}
		// --no-skip: BuildKit's cache, not kiln's up-to-date check (the demo
		// is reported up to date without it)
		r2 := demo.bake(t, root, "--allow=fs.write="+dist, "--no-skip").mustSucceed(t)
		mustCached(t, r2, "RUN ")
		r3 := demo.bake(t, root, "--allow=fs.write="+dist).mustSucceed(t)
		for _, target := range []string{"base", "api", "worker-fast", "worker-thorough", "web", "tools"} {
			if !regexp.MustCompile(`(?m)^  ` + target + `\s+up to date \(built `).MatchString(r3.out) {
				t.Errorf("third run: %s not reported up to date:\n%s", target, tail(r3.out, 20))
			}
		}
	})
}

// TestDemoDefinitionMatchesBuildx checks `kiln bake --print` and `--list` on the
// demo against what buildx v0.38.2 printed (testdata/demo/*.golden.json), and,
// when buildx is installed, that those goldens are still what buildx prints.
// Regenerate them from the repository root with:
//
//	buildx bake --print > testdata/demo/bake-print.golden.json
//	buildx bake --list type=targets,format=json > testdata/demo/bake-list.golden.json
func TestDemoDefinitionMatchesBuildx(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kiln binary: skipped with -short")
	}
	buildOnce.Do(buildKiln)
	if kilnBuildErr != nil {
		t.Fatalf("building kiln: %v", kilnBuildErr)
	}
	root := repoRoot(t)
	var env []string
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "VERSION", "DIST", "PLATFORMS", "DEMO_TOKEN_FILE":
		default:
			env = append(env, kv)
		}
	}
	buildx := findBuildx()
	for _, c := range []struct{ golden, args string }{
		{"bake-print.golden.json", "bake --print"},
		{"bake-list.golden.json", "bake --list type=targets,format=json"},
	} {
		t.Run(c.args, func(t *testing.T) {
			want := readFile(t, filepath.Join(root, "testdata", "demo", c.golden))
			run := func(bin string) string {
				cmd := exec.Command(bin, strings.Fields(c.args)...)
				cmd.Dir, cmd.Env = root, env
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					t.Fatalf("%s %s: %v\n%s", bin, c.args, err, stderr.String())
				}
				return stdout.String()
			}
			if !sameJSON(t, want, run(kilnBin)) {
				t.Errorf("kiln %s differs from buildx's (%s):\n%s", c.args, c.golden, run(kilnBin))
			}
			if buildx != "" && !sameJSON(t, want, run(buildx)) {
				t.Errorf("buildx %s no longer prints %s: regenerate it (see this test's comment)", c.args, c.golden)
			}
		})
	}

	// Variables from the environment, typed (PLATFORMS is a list(string)).
	t.Run("variables from the environment", func(t *testing.T) {
		if buildx == "" {
			t.Skip("buildx not installed")
		}
		run := func(bin string) string {
			cmd := exec.Command(bin, "bake", "--print")
			cmd.Dir = root
			cmd.Env = append(append([]string{}, env...), "PLATFORMS=linux/amd64,linux/riscv64", "VERSION=9.9.9", "DIST=/tmp/elsewhere")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s bake --print: %v\n%s", bin, err, stderr.String())
			}
			return stdout.String()
		}
		want, got := run(buildx), run(kilnBin)
		if !strings.Contains(want, "linux/riscv64") || !strings.Contains(want, "9.9.9") {
			t.Fatalf("buildx did not take the variables from the environment:\n%s", want)
		}
		if !sameJSON(t, want, got) {
			t.Errorf("kiln differs from buildx\n--- buildx\n%s\n--- kiln\n%s", want, got)
		}
	})
}

func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, a)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b)
	}
	return reflect.DeepEqual(x, y)
}
