package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/tonistiigi/fsutil"
)

// TestDockerfileFrontend builds a Dockerfile with the built-in
// dockerfile.v0 frontend, the way bake targets are built.
func TestDockerfileFrontend(t *testing.T) {
	requireEngine(t)
	ctxDir := busyboxDir(t, "amd64")
	df := "FROM scratch\nCOPY bin/busybox /bin/busybox\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo built by dockerfile.v0 > /result\"]\n"
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	fs, err := fsutil.NewFS(ctxDir)
	if err != nil {
		t.Fatal(err)
	}
	e := startEngine(t, t.TempDir())
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err = e.Client().Solve(ctx, nil, client.SolveOpt{
		Frontend:    "dockerfile.v0",
		LocalMounts: map[string]fsutil.FS{"context": fs, "dockerfile": fs},
		Exports:     []client.ExportEntry{{Type: client.ExporterLocal, OutputDir: out}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(out, "result")); got != "built by dockerfile.v0\n" {
		t.Errorf("result = %q", got)
	}
}
