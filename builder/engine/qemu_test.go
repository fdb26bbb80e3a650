package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestArm64UnderQemu runs an arm64 busybox; the kernel hands it to
// qemu-aarch64 through binfmt_misc, which BuildKit detects as a platform.
func TestArm64UnderQemu(t *testing.T) {
	requireEngine(t)
	if _, err := os.Stat("/proc/sys/fs/binfmt_misc/qemu-aarch64"); err != nil {
		t.Skip("qemu-aarch64 is not registered in binfmt_misc (bash hack/install-deps.sh)")
	}
	base := busyboxDir(t, "arm64")
	e := startEngine(t, t.TempDir())

	ws, err := e.Client().ListWorkers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	arm64 := ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	found := false
	for _, p := range ws[0].Platforms {
		found = found || platforms.Only(arm64).Match(p)
	}
	if !found {
		t.Errorf("worker platforms %v lack linux/arm64", ws[0].Platforms)
	}

	st := sh(baseImage(), "/bin/busybox uname -m > /out/arch").AddMount("/out", llb.Scratch())
	res := solve(t, e.Client(), st, base, client.SolveOpt{}, llb.Platform(arm64))
	if got := strings.TrimSpace(readFile(t, filepath.Join(res.out, "arch"))); got != "aarch64" {
		t.Errorf("uname -m = %q, want aarch64", got)
	}
}
