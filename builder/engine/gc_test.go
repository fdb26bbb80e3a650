package engine

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
)

// TestGCSizePolicy sets buildkitd's maxUsedSpace in buildkitd.toml and
// checks the engine's own garbage collection brings the cache under it.
func TestGCSizePolicy(t *testing.T) {
	requireEngine(t)
	if testing.Short() {
		t.Skip("waits for the controller's GC, which runs at most once a minute")
	}
	root := t.TempDir()
	const limit = 3 << 20
	conf := fmt.Sprintf("[worker.oci]\n  maxUsedSpace = %d\n", limit)
	if err := os.WriteFile(filepath.Join(root, ConfigFileName), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	e := startEngine(t, root)
	ctx := context.Background()

	for i := 0; i < 4; i++ {
		data := bytes.Repeat([]byte{byte('a' + i)}, 2<<20)
		st := llb.Scratch().File(llb.Mkfile("/f", 0o644, data))
		solve(t, e.Client(), st, "", client.SolveOpt{})
	}
	// GC runs in the background after builds; wait for it to get under the limit.
	var total int64
	for deadline := time.Now().Add(3 * time.Minute); ; {
		dus, err := e.Client().DiskUsage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total = 0
		for _, du := range dus {
			total += du.Size
		}
		if total <= limit {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cache is %d bytes, over the %d-byte policy, after 3m", total, limit)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if total == 0 {
		t.Error("GC removed everything; the policy keeps up to the limit")
	}
}
