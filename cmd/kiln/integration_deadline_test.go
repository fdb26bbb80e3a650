package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestIntegrationNodeDeadline runs builds on `kiln engine serve` with a
// short KILN_NODE_DEADLINE: a build whose RUN is silent for longer than the
// deadline succeeds (the liveness probe is answered, and the server's
// default keepalive policy, grpc-go's as in buildkitd, never sees an early
// ping), and a build on a daemon frozen with SIGSTOP fails with an error
// naming the node instead of waiting forever.
func TestIntegrationNodeDeadline(t *testing.T) {
	addr, srv := serveFreshEngine(t, "")
	defer func() {
		syscall.Kill(srv.cmd.Process.Pid, syscall.SIGCONT)
		srv.cmd.Process.Signal(syscall.SIGTERM)
		if !srv.wait(time.Minute) {
			t.Errorf("kiln engine serve did not stop within 1m of SIGTERM")
		}
	}()
	deadlineCases(t, addr, srv.cmd.Process.Pid)
}

// TestIntegrationNodeDeadlineBuildkitd runs the same cases on upstream
// buildkitd, whose keepalive policy is grpc-go's default (one ping per 5
// minutes): $KILN_TEST_BUILDKITD names a buildkitd v0.34 binary (`go build
// github.com/moby/buildkit/cmd/buildkitd` in a scratch module).
func TestIntegrationNodeDeadlineBuildkitd(t *testing.T) {
	requireIntegration(t)
	bin := os.Getenv("KILN_TEST_BUILDKITD")
	if bin == "" {
		t.Skip("set KILN_TEST_BUILDKITD to a buildkitd binary")
	}
	addr, pid := serveBuildkitd(t, bin)
	deadlineCases(t, addr, pid)
}

func deadlineCases(t *testing.T, addr string, pid int) {
	const deadline = 4 * time.Second
	client := &kilnEnv{root: t.TempDir(), builder: addr, env: []string{"KILN_NODE_DEADLINE=" + deadline.String()}}
	bakeFile := baseTarget(t, "linux/amd64") + `
target "run" {
  contexts          = { base = "target:base" }
  dockerfile-inline = "FROM base\nRUN N=${NONCE}; echo \"up-$N\" && sleep ${SECONDS}\n"
  platforms         = ["linux/amd64"]
}
variable "NONCE" {}
variable "SECONDS" {}
`

	t.Run("a silent RUN longer than the deadline", func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"docker-bake.hcl": bakeFile})
		// 3 deadlines of silence: the probe runs 9 times meanwhile.
		client.with("NONCE="+nonce(), "SECONDS=12").bake(t, dir, "run").mustSucceed(t)
	})

	t.Run("a frozen daemon", func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"docker-bake.hcl": bakeFile})
		n := nonce()
		k := client.with("NONCE="+n, "SECONDS=600").start(t, dir, client.bakeArgs("run")...)
		k.waitFor(t, "up-"+n, kilnTimeout) // the RUN has started
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		// The bound is the deadline plus one probe interval and one probe's
		// timeout; three deadlines leave room for a loaded machine.
		if !k.wait(3 * deadline) {
			t.Fatalf("kiln still waiting %s after the daemon froze:\n%s", 3*deadline, tail(k.output(), 30))
		}
		if k.err == nil {
			t.Fatalf("kiln succeeded on a frozen daemon:\n%s", tail(k.output(), 30))
		}
		want := "node " + addr + ": not answering for " + deadline.String() + " (frozen or unreachable)"
		if !strings.Contains(k.output(), "ERROR: target ") || !strings.Contains(k.output(), want) {
			t.Errorf("kiln's output does not say %q:\n%s", want, tail(k.output(), 30))
		}
		if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
	})
}

// serveBuildkitd starts the upstream buildkitd bin on a fresh state
// directory and a unix socket, and returns its address and pid; it is
// stopped (continued first, should a test have stopped it) at the end.
func serveBuildkitd(t *testing.T, bin string) (addr string, pid int) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "buildkitd.sock")
	root := t.TempDir()
	cmd := exec.Command(bin, "--root", root, "--addr", "unix://"+sock)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(cmd.Process.Pid, syscall.SIGCONT)
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		removeState(root)
	})
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("buildkitd did not listen on %s within 1m:\n%s", sock, log.String())
		}
	}
	return "unix://" + sock, cmd.Process.Pid
}
