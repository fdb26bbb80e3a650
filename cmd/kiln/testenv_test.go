package main

// The integration tests' environment: the kiln binary (built once), engine state
// directories, a real docker-registry on 127.0.0.1, and readers for what builds
// produce (progress, OCI layouts, tarballs, registry manifests). The tests
// themselves are in integration_*_test.go. See docs/testing.md.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// kilnTimeout bounds one kiln invocation: a build that takes longer is hung, and
// the test fails saying so instead of blocking the suite.
const kilnTimeout = 8 * time.Minute

var (
	buildOnce    sync.Once
	kilnBin      string // the kiln binary built for this test run
	kilnBuildErr error
	binDir       string

	// Resources shared by every integration test, torn down in TestMain.
	sharedMu   sync.Mutex
	shared     *kilnEnv
	reg        *registry
	regErr     error
	regOnce    sync.Once
	cleanupsMu sync.Mutex
	cleanups   []func()
)

// TestMain is the package's only TestMain: it tears down what the integration
// tests share (engine state, the registry, the kiln binary) after all tests ran.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	cleanupsMu.Lock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanupsMu.Unlock()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func atExit(f func()) {
	cleanupsMu.Lock()
	defer cleanupsMu.Unlock()
	cleanups = append(cleanups, f)
}

// repoRoot is the module root (the tests run in cmd/kiln).
func repoRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

// requireIntegration skips (or, in CI, fails) a test that needs what real builds
// need: root, runc, busybox binaries for both architectures, and the kiln binary.
func requireIntegration(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	var missing []string
	if runtime.GOOS != "linux" {
		missing = append(missing, "Linux")
	}
	if os.Geteuid() != 0 {
		missing = append(missing, "root (the embedded engine runs runc and mounts overlayfs)")
	}
	if _, err := exec.LookPath("runc"); err != nil {
		missing = append(missing, "runc in PATH")
	}
	for _, arch := range []string{"amd64", "arm64"} {
		p := filepath.Join(repoRoot(t), "testdata", "demo", "base", "busybox-"+arch)
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		msg := "integration test skipped: needs " + strings.Join(missing, ", ") + " (run the tests as root after `bash hack/install-deps.sh --test`)"
		if os.Getenv("CI") != "" {
			t.Fatal("CI: " + msg)
		}
		t.Skip(msg)
	}
	buildOnce.Do(buildKiln)
	if kilnBuildErr != nil {
		t.Fatalf("building kiln: %v", kilnBuildErr)
	}
}

// buildKiln builds ./cmd/kiln once into a temporary directory.
func buildKiln() {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	binDir, err = os.MkdirTemp("", "kiln-it-bin-")
	if err != nil {
		kilnBuildErr = err
		return
	}
	out := filepath.Join(binDir, "kiln")
	cmd := exec.Command(goBin, "build", "-o", out, ".")
	if b, err := cmd.CombinedOutput(); err != nil {
		kilnBuildErr = fmt.Errorf("go build: %v\n%s", err, b)
		return
	}
	kilnBin = out
}

// kilnEnv is one engine: the embedded engine on a state directory, or a kiln
// talking to a daemon through --builder.
type kilnEnv struct {
	root    string // KILN_ROOT given to kiln
	builder string // --builder value; "" for the embedded engine
	env     []string
}

// sharedEngine is the embedded engine state shared by the tests that can share
// it (each uses its own nonces, so a cache hit never comes from another test).
func sharedEngine(t *testing.T) *kilnEnv {
	t.Helper()
	requireIntegration(t)
	r := testRegistry(t)
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil {
		root, err := os.MkdirTemp("", "kiln-it-root-")
		if err != nil {
			t.Fatal(err)
		}
		atExit(func() { removeState(root) })
		shared = &kilnEnv{root: root}
		writeEngineConfig(t, root, r)
	}
	return shared
}

// freshEngine is an embedded engine on a new, empty state directory, removed
// when the test ends.
func freshEngine(t *testing.T) *kilnEnv {
	t.Helper()
	requireIntegration(t)
	r := testRegistry(t)
	root, err := os.MkdirTemp("", "kiln-it-root-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeState(root) })
	writeEngineConfig(t, root, r)
	return &kilnEnv{root: root}
}

// writeEngineConfig lets the engine push to and pull from the test registry
// over plain HTTP, in buildkitd.toml's format.
func writeEngineConfig(t *testing.T, root string, r *registry) {
	t.Helper()
	cfg := fmt.Sprintf("[registry.%q]\n  http = true\n  insecure = true\n", r.addr)
	if err := os.WriteFile(filepath.Join(root, "buildkitd.toml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

// removeState deletes an engine state directory unless something is still
// mounted under it (deleting through a mount could reach outside the test).
func removeState(root string) {
	if mps := mountsUnder(root); len(mps) > 0 {
		fmt.Fprintf(os.Stderr, "kiln integration: not removing %s: still mounted: %v\n", root, mps)
		return
	}
	if err := os.RemoveAll(root); err != nil {
		fmt.Fprintf(os.Stderr, "kiln integration: removing %s: %v\n", root, err)
	}
}

// kilnRun is one finished kiln invocation.
type kilnRun struct {
	args []string
	out  string // stdout and stderr, interleaved
	code int
}

func (r *kilnRun) String() string {
	return fmt.Sprintf("kiln %s (exit %d):\n%s", strings.Join(r.args, " "), r.code, tail(r.out, 60))
}

func (r *kilnRun) mustSucceed(t *testing.T) *kilnRun {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("expected success, got %s", r)
	}
	return r
}

func (r *kilnRun) mustFail(t *testing.T) *kilnRun {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("expected failure, got %s", r)
	}
	return r
}

// errorLines are the lines kiln printed as errors.
func (r *kilnRun) errorLines() []string {
	var out []string
	for _, l := range strings.Split(r.out, "\n") {
		if strings.HasPrefix(l, "ERROR:") || strings.HasPrefix(l, "error:") {
			out = append(out, l)
		}
	}
	return out
}

// mustErrorNaming checks that kiln failed with an error line that names the
// target and matches re: the one line a user reads to know what went wrong.
func (r *kilnRun) mustErrorNaming(t *testing.T, target string, re string) {
	t.Helper()
	r.mustFail(t)
	rx := regexp.MustCompile(re)
	lines := r.errorLines()
	for _, l := range lines {
		if strings.Contains(l, target) && rx.MatchString(l) {
			return
		}
	}
	t.Errorf("no error line naming target %q and matching %q; error lines: %q\n%s", target, re, lines, r)
}

// mustNotClaim checks that kiln's summary does not report target as built.
func (r *kilnRun) mustNotClaim(t *testing.T, target string) {
	t.Helper()
	claim := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(target) + `\s+(succeeded|done|built)\b`)
	if l := claim.FindString(r.out); l != "" {
		t.Errorf("kiln reports %s as built (%q) though it failed", target, strings.TrimSpace(l))
	}
}

// command returns the kiln command for args, run in dir with this env's state.
func (e *kilnEnv) command(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, kilnBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "KILN_ROOT="+e.root)
	cmd.Env = append(cmd.Env, e.env...)
	cmd.Stdin = nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// bakeArgs prefixes args with bake, plain progress and this env's builder.
func (e *kilnEnv) bakeArgs(args ...string) []string {
	a := []string{"bake", "--progress=plain"}
	if e.builder != "" {
		a = append(a, "--builder", e.builder)
	}
	return append(a, args...)
}

// bake runs `kiln bake --progress=plain [--builder B] args...` in dir.
func (e *kilnEnv) bake(t *testing.T, dir string, args ...string) *kilnRun {
	t.Helper()
	return e.kiln(t, dir, e.bakeArgs(args...)...)
}

// kiln runs the kiln binary with args in dir and waits for it.
func (e *kilnEnv) kiln(t *testing.T, dir string, args ...string) *kilnRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), kilnTimeout)
	defer cancel()
	var buf bytes.Buffer
	cmd := e.command(ctx, dir, args...)
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	err := cmd.Run()
	r := &kilnRun{args: args, out: buf.String()}
	if ctx.Err() != nil {
		t.Fatalf("kiln %s did not finish within %s (hung?); output:\n%s", strings.Join(args, " "), kilnTimeout, tail(r.out, 60))
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("running kiln: %v", err)
	}
	return r
}

// asyncKiln is a kiln process the test watches while it runs.
type asyncKiln struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
	done  chan struct{}
	err   error
}

// start runs kiln with args in the background; its output lines arrive on lines.
func (e *kilnEnv) start(t *testing.T, dir string, args ...string) *asyncKiln {
	t.Helper()
	cmd := e.command(context.Background(), dir, args...)
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw
	a := &asyncKiln{cmd: cmd, lines: make(chan string, 4096), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			a.mu.Lock()
			a.buf.WriteString(sc.Text() + "\n")
			a.mu.Unlock()
			select {
			case a.lines <- sc.Text():
			default:
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		a.err = cmd.Wait()
		pw.Close()
		close(a.done)
	}()
	t.Cleanup(func() {
		select {
		case <-a.done:
		default:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-a.done
		}
	})
	return a
}

func (a *asyncKiln) output() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.buf.String()
}

// waitFor waits until a line containing s appears, the process exits, or d passes.
func (a *asyncKiln) waitFor(t *testing.T, s string, d time.Duration) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case l := <-a.lines:
			if strings.Contains(l, s) {
				return
			}
		case <-a.done:
			if strings.Contains(a.output(), s) {
				return
			}
			t.Fatalf("kiln exited (%v) before printing %q:\n%s", a.err, s, tail(a.output(), 60))
		case <-timer.C:
			if strings.Contains(a.output(), s) {
				return
			}
			t.Fatalf("kiln did not print %q within %s:\n%s", s, d, tail(a.output(), 60))
		}
	}
}

// wait waits for the process to exit, at most d; it is killed after that.
func (a *asyncKiln) wait(d time.Duration) (exited bool) {
	select {
	case <-a.done:
		return true
	case <-time.After(d):
		syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
		<-a.done
		return false
	}
}

// writeFiles creates files (path → content) under dir; a path ending in "/"
// is a directory.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
}

// baseTarget is the HCL of a target named base: the demo's busybox image built
// FROM scratch, for the given platforms. Test services use it through
// contexts = { base = "target:base" }.
func baseTarget(t *testing.T, platforms ...string) string {
	t.Helper()
	return fmt.Sprintf(`
target "base" {
  context   = %q
  platforms = %s
}
`, filepath.Join(repoRoot(t), "testdata", "demo", "base"), hclList(platforms))
}

func hclList(ss []string) string {
	b, _ := json.Marshal(ss)
	return string(b)
}

// nonce is unique per call, to keep one test's cache from serving another's.
func nonce() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustNotExist(t *testing.T, p string) {
	t.Helper()
	if _, err := os.Lstat(p); err == nil {
		t.Errorf("%s exists, but nothing should have been built", p)
	}
}

// --- progress ---------------------------------------------------------------

// vertex is one step in BuildKit's plain progress output.
type vertex struct {
	id     string
	name   string
	cached bool
	done   bool
	failed bool
}

var plainLine = regexp.MustCompile(`^#(\d+) (.*)$`)

// parseProgress reads --progress=plain output: "#N name" opens step N, and
// "#N CACHED", "#N DONE ..." and "#N ERROR ..." close it.
func parseProgress(out string) []*vertex {
	byID := map[string]*vertex{}
	var order []*vertex
	for _, l := range strings.Split(out, "\n") {
		m := plainLine.FindStringSubmatch(strings.TrimRight(l, "\r"))
		if m == nil {
			continue
		}
		v := byID[m[1]]
		if v == nil {
			v = &vertex{id: m[1], name: m[2]}
			byID[m[1]] = v
			order = append(order, v)
			continue
		}
		switch {
		case m[2] == "CACHED":
			v.cached = true
		case strings.HasPrefix(m[2], "DONE"):
			v.done = true
		case strings.HasPrefix(m[2], "ERROR"):
			v.failed = true
		}
	}
	return order
}

// steps returns the steps whose name contains s.
func steps(out, s string) []*vertex {
	var vs []*vertex
	for _, v := range parseProgress(out) {
		if strings.Contains(v.name, s) {
			vs = append(vs, v)
		}
	}
	return vs
}

// mustCached checks that every step whose name contains s was a cache hit, and
// that there is at least one.
func mustCached(t *testing.T, r *kilnRun, s string) {
	t.Helper()
	vs := steps(r.out, s)
	if len(vs) == 0 {
		t.Errorf("no step named like %q in the progress output:\n%s", s, tail(r.out, 80))
		return
	}
	for _, v := range vs {
		if !v.cached {
			t.Errorf("step #%s %q ran; expected a cache hit\n%s", v.id, v.name, tail(r.out, 80))
		}
	}
}

// mustRan checks that at least one step whose name contains s ran (no cache hit).
func mustRan(t *testing.T, r *kilnRun, s string) {
	t.Helper()
	vs := steps(r.out, s)
	if len(vs) == 0 {
		t.Errorf("no step named like %q in the progress output:\n%s", s, tail(r.out, 80))
		return
	}
	for _, v := range vs {
		if !v.cached {
			return
		}
	}
	t.Errorf("every step named like %q was a cache hit; expected it to run\n%s", s, tail(r.out, 80))
}

// --- OCI images -------------------------------------------------------------

type platformSpec struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant,omitempty"`
}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Platform    *platformSpec     `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// manifestOrIndex holds either an image index or an image manifest.
type manifestOrIndex struct {
	MediaType string       `json:"mediaType"`
	Manifests []descriptor `json:"manifests"`
	Config    descriptor   `json:"config"`
	Layers    []descriptor `json:"layers"`
}

func (m *manifestOrIndex) isIndex() bool {
	return m.Manifests != nil || strings.Contains(m.MediaType, "index") || strings.Contains(m.MediaType, "manifest.list")
}

type imageConfig struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant"`
	Config       struct {
		Env    []string          `json:"Env"`
		Cmd    []string          `json:"Cmd"`
		Labels map[string]string `json:"Labels"`
	} `json:"config"`
}

// blobSource reads content-addressed blobs (an OCI layout, a registry).
type blobSource interface {
	blob(digest string) ([]byte, error)
	// manifest reads a manifest or index by digest.
	manifest(digest string) ([]byte, error)
}

// image is one platform's image: manifest, config and layers.
type image struct {
	platform string
	manifest manifestOrIndex
	config   imageConfig
	src      blobSource
}

// images resolves a top-level index or manifest into its images by platform
// ("linux/arm64"), skipping attestation manifests.
func images(t *testing.T, src blobSource, top []byte) map[string]*image {
	t.Helper()
	out := map[string]*image{}
	var walk func(b []byte, plat *platformSpec, depth int)
	walk = func(b []byte, plat *platformSpec, depth int) {
		if depth > 4 {
			t.Fatal("index nesting too deep")
		}
		var m manifestOrIndex
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("parse manifest: %v\n%s", err, b)
		}
		if m.isIndex() {
			for _, d := range m.Manifests {
				if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
					continue
				}
				if d.Platform != nil && d.Platform.OS == "unknown" {
					continue
				}
				mb, err := src.manifest(d.Digest)
				if err != nil {
					t.Fatalf("read manifest %s: %v", d.Digest, err)
				}
				walk(mb, d.Platform, depth+1)
			}
			return
		}
		cb, err := src.blob(m.Config.Digest)
		if err != nil {
			t.Fatalf("read config %s: %v", m.Config.Digest, err)
		}
		img := &image{manifest: m, src: src}
		if err := json.Unmarshal(cb, &img.config); err != nil {
			t.Fatalf("parse config: %v", err)
		}
		img.platform = img.config.OS + "/" + img.config.Architecture
		if img.config.Variant != "" {
			img.platform += "/" + img.config.Variant
		}
		if plat != nil && (plat.Architecture != img.config.Architecture || plat.OS != img.config.OS) {
			t.Errorf("index says %s/%s, config says %s", plat.OS, plat.Architecture, img.platform)
		}
		out[img.platform] = img
	}
	walk(top, nil, 0)
	return out
}

// mustPlatforms checks that imgs holds exactly the given platforms.
func mustPlatforms(t *testing.T, what string, imgs map[string]*image, want ...string) {
	t.Helper()
	var got []string
	for p := range imgs {
		got = append(got, p)
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s: platforms %v, want %v", what, got, want)
	}
}

// layers returns each layer of the image uncompressed (a tar stream).
func (img *image) layers(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	for _, l := range img.manifest.Layers {
		b, err := img.src.blob(l.Digest)
		if err != nil {
			t.Fatalf("read layer %s: %v", l.Digest, err)
		}
		switch {
		case strings.HasSuffix(l.MediaType, "gzip"):
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("layer %s: %v", l.Digest, err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				t.Fatalf("layer %s: %v", l.Digest, err)
			}
		case strings.HasSuffix(l.MediaType, "tar"):
		default:
			t.Fatalf("layer %s: unsupported media type %s", l.Digest, l.MediaType)
		}
		out = append(out, b)
	}
	return out
}

// files applies the layers in order and returns the regular files and
// symlinks (as "-> target") of the resulting filesystem, by path without
// the leading slash.
func (img *image) files(t *testing.T) map[string]string {
	t.Helper()
	fs := map[string]string{}
	for _, layer := range img.layers(t) {
		tr := tar.NewReader(bytes.NewReader(layer))
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("read layer: %v", err)
			}
			name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
			dir, base := path.Split(name)
			if base == ".wh..wh..opq" {
				for p := range fs {
					if strings.HasPrefix(p, dir) {
						delete(fs, p)
					}
				}
				continue
			}
			if strings.HasPrefix(base, ".wh.") {
				gone := dir + strings.TrimPrefix(base, ".wh.")
				for p := range fs {
					if p == gone || strings.HasPrefix(p, gone+"/") {
						delete(fs, p)
					}
				}
				continue
			}
			switch h.Typeflag {
			case tar.TypeReg:
				b, _ := io.ReadAll(tr)
				fs[name] = string(b)
			case tar.TypeSymlink:
				fs[name] = "-> " + h.Linkname
			case tar.TypeLink:
				fs[name] = fs[strings.TrimPrefix(path.Clean("/"+h.Linkname), "/")]
			}
		}
	}
	return fs
}

// mustNotContain checks that no layer, file name or content included, holds s.
func (img *image) mustNotContain(t *testing.T, s string) {
	t.Helper()
	for i, l := range img.layers(t) {
		if bytes.Contains(l, []byte(s)) {
			t.Errorf("%s: layer %d (%s) contains %q", img.platform, i, img.manifest.Layers[i].Digest, s)
		}
	}
}

// ociLayout is an OCI image layout read from a directory or a tarball.
type ociLayout struct {
	files map[string][]byte // by path inside the layout
}

func readOCITar(t *testing.T, p string) *ociLayout {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := &ociLayout{files: map[string][]byte{}}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if h.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			l.files[path.Clean(h.Name)] = b
		}
	}
	return l
}

func readOCIDir(t *testing.T, dir string) *ociLayout {
	t.Helper()
	l := &ociLayout{files: map[string][]byte{}}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		l.files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (l *ociLayout) blob(digest string) ([]byte, error) {
	alg, hexd, ok := strings.Cut(digest, ":")
	if !ok {
		return nil, fmt.Errorf("bad digest %q", digest)
	}
	b, ok := l.files["blobs/"+alg+"/"+hexd]
	if !ok {
		return nil, fmt.Errorf("blob %s not in layout", digest)
	}
	return b, nil
}

func (l *ociLayout) manifest(digest string) ([]byte, error) { return l.blob(digest) }

// images reads index.json and returns the layout's images by platform.
func (l *ociLayout) images(t *testing.T) map[string]*image {
	t.Helper()
	if _, ok := l.files["oci-layout"]; !ok {
		t.Fatalf("not an OCI layout: no oci-layout file (have %d files)", len(l.files))
	}
	idx, ok := l.files["index.json"]
	if !ok {
		t.Fatal("not an OCI layout: no index.json")
	}
	return images(t, l, idx)
}

// --- registry ---------------------------------------------------------------

// registry is a docker-registry (CNCF Distribution) process on 127.0.0.1.
type registry struct {
	addr string
	cmd  *exec.Cmd
	dir  string
}

// testRegistry starts the registry the tests share, once.
func testRegistry(t *testing.T) *registry {
	t.Helper()
	regOnce.Do(func() {
		reg, regErr = startRegistry()
		if reg != nil {
			atExit(reg.stop)
		}
	})
	if regErr != nil {
		msg := "starting docker-registry: " + regErr.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg + " (install it with hack/install-deps.sh)")
	}
	return reg
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startRegistry() (*registry, error) {
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "kiln-it-registry-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(dir, "data"), addr)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &registry{addr: addr, cmd: cmd, dir: dir}
	for i := 0; i < 100; i++ {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.stop()
	log, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
	return nil, fmt.Errorf("registry on %s did not answer /v2/:\n%s", addr, log)
}

func (r *registry) stop() {
	syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	r.cmd.Wait()
	os.RemoveAll(r.dir)
}

// registryRepo reads one repository of the registry over HTTP.
type registryRepo struct {
	r    *registry
	name string
}

const manifestAccept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, " +
	"application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json"

func (rr registryRepo) get(kind, ref string) ([]byte, http.Header, error) {
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://%s/v2/%s/%s/%s", rr.r.addr, rr.name, kind, ref), nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", manifestAccept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: %s: %s", req.URL, resp.Status, b)
	}
	return b, resp.Header, nil
}

func (rr registryRepo) blob(digest string) ([]byte, error) {
	b, _, err := rr.get("blobs", digest)
	return b, err
}

func (rr registryRepo) manifest(digest string) ([]byte, error) {
	b, _, err := rr.get("manifests", digest)
	return b, err
}

// images fetches tag's manifest and returns its images by platform and the
// digest the registry gives the top-level manifest.
func (rr registryRepo) images(t *testing.T, tag string) (map[string]*image, string) {
	t.Helper()
	b, h, err := rr.get("manifests", tag)
	if err != nil {
		t.Fatalf("fetch %s/%s:%s: %v", rr.r.addr, rr.name, tag, err)
	}
	return images(t, rr, b), h.Get("Docker-Content-Digest")
}

// --- leftovers of a killed engine -------------------------------------------

// mountsUnder lists mount points under dir (from /proc/self/mountinfo).
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	prefix := strings.TrimSuffix(dir, "/") + "/"
	var mps []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountinfo(fields[4])
		if mp == dir || strings.HasPrefix(mp, prefix) {
			mps = append(mps, mp)
		}
	}
	return mps
}

func unescapeMountinfo(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}

// runcContainersUnder lists runc containers (in runc's default root, the one
// the engine uses) whose bundle is under dir.
func runcContainersUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []byte
	var err error
	// runc list fails when a container (another engine's) goes away while it
	// lists; such a failure is retried.
	for i := 0; i < 5; i++ {
		if out, err = exec.Command("runc", "list", "--format", "json").Output(); err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("runc list: %v", err)
	}
	var cs []struct {
		ID     string `json:"id"`
		Bundle string `json:"bundle"`
		Status string `json:"status"`
	}
	if s := bytes.TrimSpace(out); len(s) > 0 && string(s) != "null" {
		if err := json.Unmarshal(s, &cs); err != nil {
			t.Fatalf("runc list: %v: %s", err, out)
		}
	}
	var ids []string
	for _, c := range cs {
		if strings.HasPrefix(c.Bundle, strings.TrimSuffix(dir, "/")+"/") {
			ids = append(ids, c.ID+" ("+c.Status+")")
		}
	}
	return ids
}

// processesMatching lists processes whose command line contains s (a build
// step's nonce), whatever runc state directory tracks their container.
func processesMatching(s string) []string {
	pids, _ := filepath.Glob("/proc/[0-9]*")
	var out []string
	for _, p := range pids {
		b, err := os.ReadFile(filepath.Join(p, "cmdline"))
		if err != nil || !bytes.Contains(b, []byte(s)) || filepath.Base(p) == strconv.Itoa(os.Getpid()) {
			continue
		}
		out = append(out, filepath.Base(p)+" "+strings.TrimSpace(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '}))))
	}
	return out
}

// binfmtRegistered says whether a qemu handler for arch (e.g. "s390x") is
// registered and enabled in binfmt_misc.
func binfmtRegistered(arch string) bool {
	b, err := os.ReadFile("/proc/sys/fs/binfmt_misc/qemu-" + arch)
	return err == nil && bytes.HasPrefix(b, []byte("enabled"))
}
