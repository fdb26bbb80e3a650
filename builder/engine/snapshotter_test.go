package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"golang.org/x/sys/unix"
)

// TestNativeFallback puts the state directory on an overlayfs, where the
// kernel refuses another overlay: the engine must detect it and build with
// the native snapshotter instead.
func TestNativeFallback(t *testing.T) {
	requireEngine(t)
	base := busyboxDir(t, "amd64")
	dir := t.TempDir()
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	opts := "lowerdir=" + filepath.Join(dir, "lower") + ",upperdir=" + filepath.Join(dir, "upper") + ",workdir=" + filepath.Join(dir, "work")
	merged := filepath.Join(dir, "merged")
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		t.Skipf("cannot mount an overlayfs to test on: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(merged, unix.MNT_DETACH) })
	root := filepath.Join(merged, "kiln")
	if err := os.Mkdir(root, 0o700); err != nil {
		t.Fatal(err)
	}
	if got := snapshotterName("auto", root); got != "native" {
		t.Fatalf("snapshotter on overlayfs: %s, want native", got)
	}

	e := startEngine(t, root)
	st := sh(baseImage(), "echo native > /out/f").AddMount("/out", llb.Scratch())
	res := solve(t, e.Client(), st, base, client.SolveOpt{})
	if got := readFile(t, filepath.Join(res.out, "f")); got != "native\n" {
		t.Errorf("f = %q", got)
	}
	if _, err := os.Stat(filepath.Join(root, "runc-native")); err != nil {
		t.Errorf("no native worker state: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
}
