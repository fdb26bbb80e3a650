package engine

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
)

// TestStartAfterKill kills (SIGKILL) a process in the middle of a RUN, then
// starts a fresh engine on its state directory: the runc container and the
// mounts it left must be gone, and the step that completed must be cached.
func TestStartAfterKill(t *testing.T) {
	requireEngine(t)
	base := busyboxDir(t, "amd64")
	root := t.TempDir()
	ctx := context.Background()

	cmd := helperCmd(t, "build-forever", root, "KILN_TEST_BASE="+base)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && lines.Text() != "first step done" {
		t.Logf("helper: %s", lines.Text())
	}
	if lines.Text() != "first step done" {
		cmd.Wait()
		t.Fatalf("helper exited before its first step was done")
	}
	go func() {
		for lines.Scan() {
			t.Logf("helper: %s", lines.Text())
		}
	}()

	// Wait for the stuck step's container, then kill the process under it.
	var stuck runcContainer
	deadline := time.Now().Add(3 * time.Minute)
	for {
		cs, err := staleContainers(ctx, root, "runc")
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) > 0 && cs[0].Status == "running" {
			stuck = cs[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the stuck step's runc container never appeared")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	// The pitfall is real: the kill left a container and mounts behind.
	cs, err := staleContainers(ctx, root, "runc")
	if err != nil {
		t.Fatal(err)
	}
	mounts, err := staleMounts(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) == 0 || len(mounts) == 0 {
		t.Fatalf("expected leftovers after kill -9: containers %v, mounts %v", cs, mounts)
	}
	t.Logf("left behind: containers %v, mounts %v", cs, mounts)

	e := startEngine(t, root)
	if cs, _ := staleContainers(ctx, root, "runc"); len(cs) != 0 {
		t.Errorf("runc containers still there after start: %v", cs)
	}
	if alive(stuck.Pid) {
		t.Errorf("the stuck step's process %d is still running", stuck.Pid)
	}
	// The fresh engine has nothing mounted until it builds.
	if m, _ := staleMounts(root); len(m) != 0 {
		t.Errorf("mounts still there after start: %v", m)
	}

	res := solve(t, e.Client(), firstStep(baseImage()), base, client.SolveOpt{})
	if !res.cached["first step"] {
		t.Errorf("first step not cached after restart: %v", res.cached)
	}
	if got := readFile(t, res.out+"/first"); strings.TrimSpace(got) != "first" {
		t.Errorf("first = %q", got)
	}
}

// alive reports whether pid is a process that is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z")
}

func TestBuildMountPoint(t *testing.T) {
	for mp, want := range map[string]bool{
		"/k/runc-overlayfs/executor/abc/rootfs":      true,
		"/k/runc-native/cachemounts/buildkit123":     true,
		"/k/runc-overlayfs/snapshots":                false, // an operator's volume
		"/k/runc-overlayfs/executor":                 false,
		"/k/other/executor/abc":                      false,
		"/kx/runc-overlayfs/executor/abc/rootfs":     false,
		"/elsewhere/runc-overlayfs/executor/abc/foo": false,
	} {
		if got := buildMountPoint(mp, "/k"); got != want {
			t.Errorf("buildMountPoint(%q) = %v, want %v", mp, got, want)
		}
	}
}
