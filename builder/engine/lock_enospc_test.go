package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestStartOnFullDisk: a state directory on a full filesystem fails Start
// with the lock file's path named once.
func TestStartOnFullDisk(t *testing.T) {
	requireEngine(t)
	root := t.TempDir()
	if err := unix.Mount("tmpfs", root, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("mount a small tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(root, unix.MNT_DETACH) })
	f, err := os.Create(filepath.Join(root, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	e, err := Start(context.Background(), Options{Root: root})
	if err == nil {
		e.Close()
		t.Fatal("Start on a full filesystem succeeded")
	}
	lock := filepath.Join(root, LockFileName)
	if n := strings.Count(err.Error(), lock); n != 1 || !strings.Contains(err.Error(), "no space left on device") {
		t.Errorf("error %q: want ENOSPC with %s named once (%d times)", err, lock, n)
	}
}
