package main

import (
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
	const deadline = 4 * time.Second
	state := freshEngine(t)
	sock := filepath.Join(t.TempDir(), "kiln.sock")
	addr := "unix://" + sock
	srv := state.start(t, "/", "engine", "serve", "--addr", addr)
	waitForSocket(t, srv, sock)
	defer func() {
		syscall.Kill(srv.cmd.Process.Pid, syscall.SIGCONT)
		srv.cmd.Process.Signal(syscall.SIGTERM)
		if !srv.wait(time.Minute) {
			t.Errorf("kiln engine serve did not stop within 1m of SIGTERM")
		}
	}()
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
		if err := syscall.Kill(srv.cmd.Process.Pid, syscall.SIGSTOP); err != nil {
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
		if err := syscall.Kill(srv.cmd.Process.Pid, syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
	})
}
