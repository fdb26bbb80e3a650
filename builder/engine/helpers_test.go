package engine

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/internal/testenv"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/tonistiigi/fsutil"
)

// requireEngine skips unless the embedded engine can run here.
func requireEngine(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("embedded engine tests need root")
	}
	if _, err := findRunc(""); err != nil {
		t.Skip(err)
	}
}

// busyboxDir returns a directory holding bin/busybox for arch, the whole
// base image of these tests (FROM scratch, offline).
func busyboxDir(t testing.TB, arch string) string {
	t.Helper()
	src := testenv.Busybox(arch)
	b, err := os.ReadFile(src)
	if err != nil {
		t.Skipf("%s missing: run `bash hack/install-deps.sh` first (%v)", src, err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "busybox"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func startEngine(t testing.TB, root string) *Engine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, err := Start(ctx, Options{Root: root})
	if err != nil {
		t.Fatalf("start engine: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// sh runs a busybox shell script on base.
func sh(base llb.State, script string, opts ...llb.RunOption) llb.ExecState {
	opts = append([]llb.RunOption{
		llb.Args([]string{"/bin/busybox", "sh", "-c", script}),
		llb.AddEnv("PATH", "/bin"),
	}, opts...)
	return base.Run(opts...)
}

// solveResult is what a test looks at after a solve.
type solveResult struct {
	out      string          // local export directory ("" without export)
	cached   map[string]bool // vertex name → cached
	response *client.SolveResponse
}

// solve runs st on c with base mounted as the "base" local, exporting the
// result to a local directory unless opt.Exports is set.
func solve(t testing.TB, c *client.Client, st llb.State, baseDir string, opt client.SolveOpt, platform ...llb.ConstraintsOpt) solveResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	def, err := st.Marshal(ctx, platform...)
	if err != nil {
		t.Fatal(err)
	}
	res := solveResult{cached: map[string]bool{}}
	if opt.Exports == nil {
		res.out = t.TempDir()
		opt.Exports = []client.ExportEntry{{Type: client.ExporterLocal, OutputDir: res.out}}
	}
	if baseDir != "" {
		fs, err := fsutil.NewFS(baseDir)
		if err != nil {
			t.Fatal(err)
		}
		opt.LocalMounts = map[string]fsutil.FS{"base": fs}
	}
	ch := make(chan *client.SolveStatus)
	done := make(chan struct{})
	var log strings.Builder
	go func() {
		defer close(done)
		for s := range ch {
			for _, v := range s.Vertexes {
				if v.Completed != nil {
					res.cached[v.Name] = v.Cached
				}
			}
			for _, l := range s.Logs {
				log.Write(l.Data)
			}
		}
	}()
	res.response, err = c.Solve(ctx, def, opt, ch)
	<-done
	if err != nil {
		t.Fatalf("solve: %v\nlogs:\n%s", err, log.String())
	}
	return res
}

// baseImage is the tests' FROM-scratch base: the "base" local copied into
// a layer. (A RUN straight on a local source is never cached: its rootfs is
// not content-addressed the way a copied layer is.)
func baseImage() llb.State {
	return llb.Scratch().File(llb.Copy(llb.Local("base", llb.SharedKeyHint("base")), "/", "/"), llb.WithCustomName("base"))
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var _ = io.Discard
var _ = runtime.GOARCH
