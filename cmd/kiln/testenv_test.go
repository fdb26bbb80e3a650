package main

// The integration tests' environment: the kiln binary (built once), engine state
// directories and kiln runs. Beside it: testregistry_test.go (a real docker-registry
// on 127.0.0.1), testprogress_test.go, testimage_test.go (readers for what builds
// produce) and testhost_test.go (mounts, runc containers, processes left on the
// host). The tests themselves are in integration_*_test.go. See docs/testing.md.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-build/kiln/internal/testenv"
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
	reg        *testenv.Registry
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
// demoBaseDir is the context baseTarget names (tests run in cmd/kiln).
var demoBaseDir, _ = filepath.Abs(filepath.Join("..", "..", "testdata", "demo", "base"))

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
		p := testenv.Busybox(arch)
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
func writeEngineConfig(t *testing.T, root string, r *testenv.Registry) {
	t.Helper()
	cfg := fmt.Sprintf("[registry.%q]\n  http = true\n  insecure = true\n", r.Addr)
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
	// the up-to-date records (docs/skip.md) beside the binary, removed with it:
	// kept per project directory, so tests do not share them
	cmd.Env = append(os.Environ(), "KILN_ROOT="+e.root, "XDG_STATE_HOME="+filepath.Join(binDir, "xdg-state"))
	cmd.Env = append(cmd.Env, e.env...)
	cmd.Stdin = nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// bakeArgs prefixes args with bake, plain progress and this env's builder,
// and grants reading the busybox context of baseTarget, which lies outside
// the test's working directory.
func (e *kilnEnv) bakeArgs(args ...string) []string {
	a := []string{"bake", "--progress=plain", "--allow=fs.read=" + demoBaseDir}
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
