package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// coreCases run against every kind of engine: the embedded one
// (TestIntegrationEmbedded) and `kiln engine serve` through --builder
// (TestIntegrationServe).
var coreCases = []struct {
	name string
	run  func(t *testing.T, e *kilnEnv)
}{
	{"outputs", testOutputs},
	{"push", testPush},
	{"cache hits", testCacheHits},
	{"cache mount persists", testCacheMount},
	{"secret", testSecret},
	{"target contexts", testTargetContexts},
	{"dockerignore", testDockerignore},
	{"failing RUN", testFailingRun},
}

func TestIntegrationEmbedded(t *testing.T) {
	e := sharedEngine(t)
	for _, c := range coreCases {
		t.Run(c.name, func(t *testing.T) { c.run(t, e) })
	}
}

var bothPlatforms = []string{"linux/amd64", "linux/arm64"}

// unameOf is what `uname -m` prints on each platform (arm64 runs under qemu).
var unameOf = map[string]string{"linux/amd64": "x86_64", "linux/arm64": "aarch64"}

// testOutputs builds one image for both platforms into every local output type
// and inspects each: directories, a tarball, OCI tarball and directory, and a
// docker tarball.
func testOutputs(t *testing.T, e *kilnEnv) {
	dir := t.TempDir()
	n := nonce()
	writeFiles(t, dir, map[string]string{
		"Dockerfile": "FROM base\nARG NONCE\nRUN echo \"$NONCE\" > /nonce && uname -m > /arch\n",
		"docker-bake.hcl": baseTarget(t, bothPlatforms...) + fmt.Sprintf(`
target "_app" {
  contexts  = { base = "target:base" }
  platforms = %s
  args      = { NONCE = %q }
}
target "local" {
  inherits = ["_app"]
  output   = ["type=local,dest=out/local"]
}
target "tar" {
  inherits = ["_app"]
  output   = ["type=tar,dest=out/fs.tar"]
}
target "oci" {
  inherits = ["_app"]
  tags     = ["kiln.test/outputs:v1"]
  output   = ["type=oci,dest=out/image.oci.tar"]
}
target "ocidir" {
  inherits = ["_app"]
  output   = ["type=oci,dest=out/layout,tar=false"]
}
target "docker" {
  inherits  = ["_app"]
  platforms = ["linux/arm64"]
  tags      = ["kiln.test/docker:v1"]
  output    = ["type=docker,dest=out/docker.tar"]
}
`, hclList(bothPlatforms), n),
	})
	e.bake(t, dir, "local", "tar", "oci", "ocidir", "docker").mustSucceed(t)
	out := filepath.Join(dir, "out")

	t.Run("local", func(t *testing.T) {
		for _, p := range bothPlatforms {
			pd := filepath.Join(out, "local", strings.ReplaceAll(p, "/", "_"))
			if got := readFile(t, filepath.Join(pd, "arch")); got != unameOf[p]+"\n" {
				t.Errorf("%s: arch = %q, want %q", p, got, unameOf[p])
			}
			if got := readFile(t, filepath.Join(pd, "nonce")); got != n+"\n" {
				t.Errorf("%s: nonce = %q", p, got)
			}
			if _, err := os.Stat(filepath.Join(pd, "etc/kiln-release")); err != nil {
				t.Errorf("%s: not built on the base target: %v", p, err)
			}
		}
	})

	t.Run("tar", func(t *testing.T) {
		files := tarFiles(t, filepath.Join(out, "fs.tar"))
		for _, p := range bothPlatforms {
			name := strings.ReplaceAll(p, "/", "_") + "/arch"
			if got := files[name]; got != unameOf[p]+"\n" {
				t.Errorf("fs.tar: %s = %q, want %q", name, got, unameOf[p])
			}
		}
	})

	checkImages := func(t *testing.T, what string, imgs map[string]*image) {
		t.Helper()
		mustPlatforms(t, what, imgs, bothPlatforms...)
		for p, img := range imgs {
			fs := img.files(t)
			if got := fs["arch"]; got != unameOf[p]+"\n" {
				t.Errorf("%s %s: /arch = %q, want %q", what, p, got, unameOf[p])
			}
			if _, ok := fs["bin/busybox"]; !ok {
				t.Errorf("%s %s: no bin/busybox: the base layers are missing", what, p)
			}
		}
	}
	t.Run("oci tarball", func(t *testing.T) {
		checkImages(t, "image.oci.tar", readOCITar(t, filepath.Join(out, "image.oci.tar")).images(t))
	})
	t.Run("oci directory", func(t *testing.T) {
		checkImages(t, "layout", readOCIDir(t, filepath.Join(out, "layout")).images(t))
	})

	t.Run("docker tarball", func(t *testing.T) {
		files := tarBytes(t, filepath.Join(out, "docker.tar"))
		var manifest []struct {
			Config   string
			RepoTags []string
			Layers   []string
		}
		if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
			t.Fatalf("docker.tar: manifest.json = %s (%v)", files["manifest.json"], err)
		}
		m := manifest[0]
		if strings.Join(m.RepoTags, ",") != "kiln.test/docker:v1" {
			t.Errorf("docker.tar: RepoTags = %v", m.RepoTags)
		}
		var cfg imageConfig
		if err := json.Unmarshal(files[path.Clean(m.Config)], &cfg); err != nil {
			t.Fatalf("docker.tar: config %s: %v", m.Config, err)
		}
		if cfg.Architecture != "arm64" {
			t.Errorf("docker.tar: architecture %q, want arm64", cfg.Architecture)
		}
		var arch string
		for _, l := range m.Layers {
			for name, content := range tarStreamFiles(t, maybeGunzip(t, files[path.Clean(l)])) {
				if name == "arch" {
					arch = content
				}
			}
		}
		if arch != "aarch64\n" {
			t.Errorf("docker.tar: /arch = %q, want aarch64", arch)
		}
	})
}

// testPush pushes a two-platform image to the test registry with --push and
// reads it back over HTTP.
func testPush(t *testing.T, e *kilnEnv) {
	r := testRegistry(t)
	dir := t.TempDir()
	n := nonce()
	repo := "kiln-it/push-" + n
	writeFiles(t, dir, map[string]string{
		"Dockerfile": "FROM base\nARG NONCE\nRUN echo \"$NONCE\" > /nonce && uname -m > /arch\n",
		"docker-bake.hcl": baseTarget(t, bothPlatforms...) + fmt.Sprintf(`
target "app" {
  contexts  = { base = "target:base" }
  platforms = %s
  args      = { NONCE = %q }
  tags      = ["%s/%s:v1"]
}
`, hclList(bothPlatforms), n, r.Addr, repo),
	})
	meta := filepath.Join(dir, "metadata.json")
	e.bake(t, dir, "--push", "--metadata-file", meta, "app").mustSucceed(t)

	imgs, digest := registryRepo{r, repo}.images(t, "v1")
	mustPlatforms(t, "pushed image", imgs, bothPlatforms...)
	for p, img := range imgs {
		if got := img.files(t)["arch"]; got != unameOf[p]+"\n" {
			t.Errorf("pushed %s: /arch = %q, want %q", p, got, unameOf[p])
		}
	}
	var md map[string]map[string]any
	if err := json.Unmarshal([]byte(readFile(t, meta)), &md); err != nil {
		t.Fatalf("metadata: %v", err)
	}
	if got := md["app"]["containerimage.digest"]; got != digest {
		t.Errorf("metadata containerimage.digest = %v, registry says %s", got, digest)
	}
	if got, _ := md["app"]["image.name"].(string); !strings.Contains(got, repo) {
		t.Errorf("metadata image.name = %q, want it to name %s", got, repo)
	}
}

// testCacheHits builds a step that no other test builds, then again: the
// first run runs it, the second is a cache hit (--no-skip: BuildKit's
// cache is what is tested, not kiln's up-to-date check).
func testCacheHits(t *testing.T, e *kilnEnv) {
	dir := t.TempDir()
	n := nonce()
	writeFiles(t, dir, map[string]string{
		"Dockerfile": fmt.Sprintf("FROM base\nRUN echo cache-hit-%s > /marker\nRUN cat /marker > /copy\n", n),
		"docker-bake.hcl": baseTarget(t, "linux/amd64") + `
target "app" {
  contexts  = { base = "target:base" }
  platforms = ["linux/amd64"]
  output    = ["type=cacheonly"]
}
`,
	})
	first := e.bake(t, dir, "app").mustSucceed(t)
	mustRan(t, first, "cache-hit-"+n)
	second := e.bake(t, dir, "--no-skip", "app").mustSucceed(t)
	mustCached(t, second, "cache-hit-"+n)
	mustCached(t, second, "RUN cat /marker")

	// The same, read from --progress=rawjson (BuildKit's SolveStatus, a JSON
	// object per line, as buildx prints it).
	third := e.bake(t, dir, "--no-skip", "--progress=rawjson", "app").mustSucceed(t)
	cached := map[string]bool{} // vertex name → seen cached
	for _, l := range strings.Split(third.out, "\n") {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var st struct {
			Vertexes []struct {
				Name   string `json:"name"`
				Cached bool   `json:"cached"`
			} `json:"vertexes"`
		}
		if err := json.Unmarshal([]byte(l), &st); err != nil {
			t.Fatalf("rawjson line is not JSON: %v\n%s", err, l)
		}
		for _, v := range st.Vertexes {
			cached[v.Name] = cached[v.Name] || v.Cached
		}
	}
	found := false
	for name, c := range cached {
		if strings.Contains(name, "cache-hit-"+n) {
			found = true
			if !c {
				t.Errorf("rawjson: step %q is never marked cached", name)
			}
		}
	}
	if !found {
		t.Errorf("rawjson: no step named like cache-hit-%s in:\n%s", n, tail(third.out, 20))
	}
}

// testCacheMount checks that a RUN --mount=type=cache directory keeps its
// contents between two kiln runs (the second run's RUN is not a cache hit).
func testCacheMount(t *testing.T, e *kilnEnv) {
	dir := t.TempDir()
	n := nonce()
	writeFiles(t, dir, map[string]string{
		"Dockerfile": fmt.Sprintf(`FROM base
ARG RUNID
RUN --mount=type=cache,id=kiln-it-%s,target=/cache echo "$RUNID" >> /cache/runs && cp /cache/runs /runs
`, n),
		"docker-bake.hcl": baseTarget(t, "linux/amd64") + `
variable "RUNID" {}
target "app" {
  contexts  = { base = "target:base" }
  platforms = ["linux/amd64"]
  args      = { RUNID = RUNID }
  output    = ["type=local,dest=out-${RUNID}"]
}
`,
	})
	e.with("RUNID=first").bake(t, dir, "app").mustSucceed(t)
	second := e.with("RUNID=second").bake(t, dir, "app").mustSucceed(t)
	mustRan(t, second, "/cache/runs")
	if got := readFile(t, filepath.Join(dir, "out-second", "runs")); got != "first\nsecond\n" {
		t.Errorf("the cache mount holds %q after two runs, want \"first\\nsecond\\n\"", got)
	}
}

// testSecret reads a secret from a file and one from the environment during a
// RUN, then checks neither reaches a layer, the metadata file or the log.
func testSecret(t *testing.T, e *kilnEnv) {
	dir := t.TempDir()
	n := nonce()
	fileSecret := "file-secret-" + nonce()
	envSecret := "env-secret-" + nonce()
	writeFiles(t, dir, map[string]string{
		"token.txt": fileSecret,
		"Dockerfile": fmt.Sprintf(`FROM base
RUN --mount=type=secret,id=filetok,required=true --mount=type=secret,id=envtok,required=true \
    echo %s && sha256sum /run/secrets/filetok | cut -d' ' -f1 > /filetok.sha256 && \
    sha256sum /run/secrets/envtok | cut -d' ' -f1 > /envtok.sha256
`, n),
		"docker-bake.hcl": baseTarget(t, "linux/amd64") + `
target "app" {
  contexts  = { base = "target:base" }
  platforms = ["linux/amd64"]
  secret    = ["id=filetok,src=token.txt", "id=envtok,env=KILN_IT_SECRET"]
  output    = ["type=oci,dest=out/app.oci.tar"]
}
`,
	})
	meta := filepath.Join(dir, "metadata.json")
	r := e.with("KILN_IT_SECRET="+envSecret).bake(t, dir, "--metadata-file", meta, "app").mustSucceed(t)

	imgs := readOCITar(t, filepath.Join(dir, "out/app.oci.tar")).images(t)
	mustPlatforms(t, "app.oci.tar", imgs, "linux/amd64")
	img := imgs["linux/amd64"]
	fs := img.files(t)
	for file, secret := range map[string]string{"filetok.sha256": fileSecret, "envtok.sha256": envSecret} {
		sum := sha256.Sum256([]byte(secret))
		if got, want := strings.TrimSpace(fs[file]), hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s = %q, want %q: the secret was not readable during RUN", file, got, want)
		}
	}
	for _, secret := range []string{fileSecret, envSecret} {
		img.mustNotContain(t, secret)
		if strings.Contains(readFile(t, meta), secret) {
			t.Errorf("the metadata file contains a secret")
		}
		if strings.Contains(r.out, secret) {
			t.Errorf("the build output contains a secret")
		}
	}
	for name := range fs {
		if strings.HasPrefix(name, "run/secrets/") {
			t.Errorf("the image has %s", name)
		}
	}
}

// testTargetContexts chains target: contexts (base → mid → app) and checks the
// result holds what each step added.
func testTargetContexts(t *testing.T, e *kilnEnv) {
	dir := t.TempDir()
	n := nonce()
	writeFiles(t, dir, map[string]string{
		"docker-bake.hcl": baseTarget(t, bothPlatforms...) + fmt.Sprintf(`
target "mid" {
  contexts          = { base = "target:base" }
  platforms         = %[1]s
  dockerfile-inline = "FROM base\nRUN echo mid-%[2]s > /mid"
}
target "app" {
  contexts          = { mid = "target:mid" }
  platforms         = %[1]s
  dockerfile-inline = "FROM mid\nRUN cat /mid /etc/kiln-release > /chain"
  output            = ["type=local,dest=out"]
}
`, hclList(bothPlatforms), n),
	})
	e.bake(t, dir, "app").mustSucceed(t)
	for _, p := range bothPlatforms {
		got := readFile(t, filepath.Join(dir, "out", strings.ReplaceAll(p, "/", "_"), "chain"))
		want := "mid-" + n + "\nkiln-demo-base dev " + unameOf[p] + "\n"
		if got != want {
			t.Errorf("%s: /chain = %q, want %q", p, got, want)
		}
	}
}

// testDockerignore checks .dockerignore, and that <Dockerfile>.dockerignore
// replaces it for that Dockerfile.
func testDockerignore(t *testing.T, e *kilnEnv) {
	dir := t.TempDir()
	n := nonce()
	df := fmt.Sprintf("FROM base\nRUN echo %s\nCOPY . /ctx/\n", n)
	writeFiles(t, dir, map[string]string{
		"Dockerfile":                  df,
		"app.Dockerfile":              df,
		".dockerignore":               "*.env\nlogs/\n",
		"app.Dockerfile.dockerignore": "sub/\n",
		"keep.txt":                    "keep",
		"secret.env":                  "TOKEN=1",
		"logs/build.log":              "log",
		"sub/keep2.txt":               "keep2",
		"docker-bake.hcl": baseTarget(t, "linux/amd64") + `
target "_app" {
  contexts  = { base = "target:base" }
  platforms = ["linux/amd64"]
}
target "plain" {
  inherits = ["_app"]
  output   = ["type=local,dest=out/plain"]
}
target "specific" {
  inherits   = ["_app"]
  dockerfile = "app.Dockerfile"
  output     = ["type=local,dest=out/specific"]
}
`,
	})
	e.bake(t, dir, "plain", "specific").mustSucceed(t)
	check := func(target string, present, absent []string) {
		for _, f := range present {
			if _, err := os.Stat(filepath.Join(dir, "out", target, "ctx", f)); err != nil {
				t.Errorf("%s: %s should be in the context: %v", target, f, err)
			}
		}
		for _, f := range absent {
			if _, err := os.Stat(filepath.Join(dir, "out", target, "ctx", f)); err == nil {
				t.Errorf("%s: %s is in the context, but the ignore file excludes it", target, f)
			}
		}
	}
	check("plain", []string{"keep.txt", "sub/keep2.txt"}, []string{"secret.env", "logs"})
	check("specific", []string{"keep.txt", "secret.env", "logs/build.log"}, []string{"sub"})
}

// testFailingRun checks that a failing RUN fails kiln with the step's log and
// an error naming the target, and that the other target's output is not
// claimed for the failed one.
func testFailingRun(t *testing.T, e *kilnEnv) {
	dir := t.TempDir()
	n := nonce()
	writeFiles(t, dir, map[string]string{
		"Dockerfile": fmt.Sprintf("FROM base\nRUN echo step-log-%s && exit 7\n", n),
		"docker-bake.hcl": baseTarget(t, "linux/amd64") + `
target "broken" {
  contexts  = { base = "target:base" }
  platforms = ["linux/amd64"]
  output    = ["type=local,dest=out"]
}
`,
	})
	r := e.bake(t, dir, "broken").mustFail(t)
	if !strings.Contains(r.out, "step-log-"+n) {
		t.Errorf("the failing step's log is not in the output:\n%s", tail(r.out, 40))
	}
	r.mustErrorNaming(t, "broken", `exit code:? 7|exit status 7`)
	mustNotExist(t, filepath.Join(dir, "out"))
}

// with returns a copy of e whose kiln runs get extra environment variables.
func (e *kilnEnv) with(env ...string) *kilnEnv {
	c := *e
	c.env = append(append([]string{}, e.env...), env...)
	return &c
}

// tarBytes reads the regular files of a tarball by cleaned path.
func tarBytes(t *testing.T, p string) map[string][]byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if h.Typeflag == tar.TypeReg {
			c, _ := io.ReadAll(tr)
			out[path.Clean(h.Name)] = c
		}
	}
}

func tarFiles(t *testing.T, p string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range tarBytes(t, p) {
		out[k] = string(v)
	}
	return out
}

// tarStreamFiles reads the regular files of an uncompressed tar stream.
func tarStreamFiles(t *testing.T, b []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		if h.Typeflag == tar.TypeReg {
			c, _ := io.ReadAll(tr)
			out[strings.TrimPrefix(path.Clean("/"+h.Name), "/")] = string(c)
		}
	}
}

func maybeGunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
