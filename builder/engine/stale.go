package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// A process killed mid-build (kill -9, OOM) leaves its runc containers
// running and its overlay mounts in place; the next engine on the same state
// directory would trip over both. cleanStale removes them. It runs while
// holding the state lock, so nothing it finds can belong to a live engine.
func cleanStale(ctx context.Context, root, runcBinary string) error {
	var errs []error
	if err := deleteStaleContainers(ctx, root, runcBinary); err != nil {
		errs = append(errs, err)
	}
	if err := unmountStale(root); err != nil {
		errs = append(errs, err)
	}
	removeStaleBundles(root)
	return errors.Join(errs...)
}

type runcContainer struct {
	ID     string `json:"id"`
	Bundle string `json:"bundle"`
	Status string `json:"status"`
	Pid    int    `json:"pid"`
}

// staleContainers lists runc containers whose bundle lives under root: those
// the engine's executor created (it runs runc with the default --root).
func staleContainers(ctx context.Context, root, runcBinary string) ([]runcContainer, error) {
	// runc list fails when a container (any engine's) goes away while it
	// reads the state directory; that race passes on a retry.
	var out []byte
	var err error
	for try := 0; try < 5; try++ {
		if out, err = exec.CommandContext(ctx, runcBinary, "list", "--format", "json").Output(); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return nil, fmt.Errorf("runc list: %w", exitDetail(err))
	}
	var all []runcContainer
	if s := bytes.TrimSpace(out); len(s) > 0 && string(s) != "null" {
		if err := json.Unmarshal(s, &all); err != nil {
			return nil, fmt.Errorf("runc list: %w", err)
		}
	}
	var mine []runcContainer
	for _, c := range all {
		if within(c.Bundle, root) {
			mine = append(mine, c)
		}
	}
	return mine, nil
}

func deleteStaleContainers(ctx context.Context, root, runcBinary string) error {
	cs, err := staleContainers(ctx, root, runcBinary)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range cs {
		if _, err := exec.CommandContext(ctx, runcBinary, "delete", "--force", c.ID).Output(); err != nil {
			errs = append(errs, fmt.Errorf("runc delete --force %s: %w", c.ID, exitDetail(err)))
		}
	}
	return errors.Join(errs...)
}

// staleMounts lists the mounts BuildKit makes for a build: step root
// filesystems and cache mounts in the worker's directories, and temporary
// mounts in $TMPDIR made from its snapshots. Other mounts under the state
// directory (a volume an operator put there) are left alone.
func staleMounts(root string) ([]string, error) {
	infos, err := mountinfo.GetMounts(func(m *mountinfo.Info) (skip, stop bool) {
		if buildMountPoint(m.Mountpoint, root) {
			return false, false
		}
		tmp := strings.HasPrefix(filepath.Base(m.Mountpoint), "buildkit-mount")
		fromRoot := strings.Contains(m.VFSOptions, root+"/") || within(m.Root, root)
		return !(tmp && fromRoot), false
	})
	if err != nil {
		return nil, fmt.Errorf("read mounts: %w", err)
	}
	var mps []string
	for _, m := range infos {
		mps = append(mps, m.Mountpoint)
	}
	// Deepest first, so nested mounts come off before their parents.
	sort.Slice(mps, func(i, j int) bool { return len(mps[i]) > len(mps[j]) })
	return mps, nil
}

func unmountStale(root string) error {
	mps, err := staleMounts(root)
	if err != nil {
		return err
	}
	var errs []error
	for _, mp := range mps {
		if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", mp, err))
		}
	}
	return errors.Join(errs...)
}

// removeStaleBundles deletes runc bundle directories left in the executor
// roots. A rootfs that is still a mount point cannot be removed (EBUSY),
// which keeps this from ever deleting through a mount into snapshot data.
func removeStaleBundles(root string) {
	execs, _ := filepath.Glob(filepath.Join(root, "runc-*", "executor", "*", "rootfs"))
	for _, rootfs := range execs {
		if os.Remove(rootfs) == nil {
			os.RemoveAll(filepath.Dir(rootfs))
		}
	}
}

// buildMountPoint: root/runc-<snapshotter>/{executor,cachemounts}/<id>/...
func buildMountPoint(mp, root string) bool {
	if !within(mp, root) {
		return false
	}
	parts := strings.SplitN(strings.TrimPrefix(mp, strings.TrimSuffix(root, "/")+"/"), "/", 3)
	return len(parts) == 3 && strings.HasPrefix(parts[0], "runc-") && (parts[1] == "executor" || parts[1] == "cachemounts")
}

func within(path, root string) bool {
	return path != "" && strings.HasPrefix(path, strings.TrimSuffix(root, "/")+"/")
}

func exitDetail(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, bytes.TrimSpace(ee.Stderr))
	}
	return err
}
