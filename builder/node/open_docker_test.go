package node

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/tonistiigi/fsutil"
)

// TestOpenDocker builds on a Docker engine's BuildKit through its /grpc and
// /session endpoints. It needs a running engine: $DOCKER_HOST or
// /var/run/docker.sock.
func TestOpenDocker(t *testing.T) {
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		if _, err := os.Stat("/var/run/docker.sock"); err != nil {
			t.Skip("no Docker engine: set DOCKER_HOST=unix:///path/docker.sock to a running dockerd (e.g. Debian's docker.io started by hand)")
		}
	}
	n, err := Open(context.Background(), "docker", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	// A file from the client's session, so /session is exercised too.
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "in"), []byte("through docker\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := llb.Scratch().File(llb.Copy(llb.Local("src"), "/in", "/out"))
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fs, err := fsutil.NewFS(src)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	_, err = n.Client().Solve(context.Background(), def, client.SolveOpt{
		LocalMounts: map[string]fsutil.FS{"src": fs},
		Exports:     []client.ExportEntry{{Type: client.ExporterLocal, OutputDir: out}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "out"))
	if err != nil || strings.TrimSpace(string(b)) != "through docker" {
		t.Fatalf("out = %q, %v", b, err)
	}
}
