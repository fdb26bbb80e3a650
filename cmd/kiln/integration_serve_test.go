package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestIntegrationServe runs the core cases against `kiln engine serve`, the
// embedded engine exposed as a BuildKit daemon, through --builder unix://...
func TestIntegrationServe(t *testing.T) {
	state := freshEngine(t)
	sock := filepath.Join(t.TempDir(), "kiln.sock")
	addr := "unix://" + sock
	srv := state.start(t, "/", "engine", "serve", "--addr", addr)
	waitForSocket(t, srv, sock)

	// The client gets its own, empty KILN_ROOT: it must not use it.
	client := &kilnEnv{root: t.TempDir(), builder: addr}
	for _, c := range coreCases {
		t.Run(c.name, func(t *testing.T) { c.run(t, client) })
	}
	if ents, _ := os.ReadDir(client.root); len(ents) > 0 {
		t.Errorf("a kiln using --builder %s wrote to its own KILN_ROOT: %v", addr, ents)
	}

	t.Run("two clients at once", func(t *testing.T) {
		dir := t.TempDir()
		n := nonce()
		writeFiles(t, dir, map[string]string{
			"Dockerfile": "FROM base\nARG WHO\nRUN echo \"$WHO-" + n + "\" > /who\n",
			"docker-bake.hcl": baseTarget(t, "linux/amd64") + `
target "_c" {
  contexts  = { base = "target:base" }
  platforms = ["linux/amd64"]
}
target "one" {
  inherits = ["_c"]
  args     = { WHO = "one" }
  output   = ["type=local,dest=out-one"]
}
target "two" {
  inherits = ["_c"]
  args     = { WHO = "two" }
  output   = ["type=local,dest=out-two"]
}
`,
		})
		a := client.start(t, dir, client.bakeArgs("one")...)
		b := client.start(t, dir, client.bakeArgs("two")...)
		for _, k := range []*asyncKiln{a, b} {
			if !k.wait(kilnTimeout) {
				t.Fatalf("kiln did not finish within %s:\n%s", kilnTimeout, tail(k.output(), 30))
			}
			if k.err != nil {
				t.Errorf("kiln %v failed: %v\n%s", k.cmd.Args[1:], k.err, tail(k.output(), 30))
			}
		}
		for _, who := range []string{"one", "two"} {
			if got := readFile(t, filepath.Join(dir, "out-"+who, "who")); got != who+"-"+n+"\n" {
				t.Errorf("out-%s/who = %q", who, got)
			}
		}
	})

	t.Run("embedded kiln on the served state directory", func(t *testing.T) {
		// The daemon holds the state directory's lock; an embedded kiln on it
		// hands its builds to the daemon, whose cache it then sees.
		dir := t.TempDir()
		n := nonce()
		writeFiles(t, dir, map[string]string{
			"docker-bake.hcl": fmt.Sprintf(`target "handoff" {
  dockerfile-inline = "FROM scratch\nCOPY docker-bake.hcl /%s\n"
  output = ["type=local,dest=${OUT}"]
}
variable "OUT" {}
`, n),
		})
		client.with("OUT=out1").bake(t, dir, "handoff").mustSucceed(t)
		r := state.with("OUT=out2").bake(t, dir, "handoff").mustSucceed(t)
		mustCached(t, r, "COPY docker-bake.hcl /"+n)
		if _, err := os.Stat(filepath.Join(dir, "out2", n)); err != nil {
			t.Errorf("no output from the handed-off build: %v", err)
		}
	})

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !srv.wait(time.Minute) {
		t.Errorf("kiln engine serve did not stop within 1m of SIGTERM:\n%s", tail(srv.output(), 30))
	}
	if mps := mountsUnder(state.root); len(mps) > 0 {
		t.Errorf("mounts under %s remain after the daemon stopped: %v", state.root, mps)
	}
}

// waitForSocket waits until the daemon accepts connections on sock.
func waitForSocket(t *testing.T, srv *asyncKiln, sock string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-srv.done:
			t.Fatalf("kiln engine serve exited (%v):\n%s", srv.err, tail(srv.output(), 40))
		default:
		}
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("kiln engine serve did not listen on %s within 2m:\n%s", sock, tail(srv.output(), 40))
}
