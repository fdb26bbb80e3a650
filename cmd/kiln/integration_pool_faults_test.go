package main

// Faults in a run over a pool: a node killed mid-build, a failure under
// --push (atomic release), --jobs over the pool, Ctrl-C and SIGTERM. The
// nodes and helpers are integration_pool_build_test.go's.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-build/kiln/builder/trace"
)

// A node killed while it builds: its units move to the other node and the
// plan completes; the summary says which node was lost.
func TestIntegrationPoolNodeKilled(t *testing.T) {
	a, b := servePoolNode(t), servePoolNode(t)
	dir := t.TempDir()
	n := nonce()
	hcl, names := spinPlan("k", "killed-"+n, 4, 1500000)
	writeFiles(t, dir, map[string]string{"docker-bake.hcl": hcl})
	pool := writePool(t, dir, fmt.Sprintf("node \"a\" {\n  address = %q\n}\nnode \"b\" {\n  address = %q\n}\n", a.addr, b.addr))
	client := &kilnEnv{root: t.TempDir(), env: []string{"OUT=" + filepath.Join(dir, "out")}}
	run := client.start(t, dir, client.bakeArgs("--pool", pool)...)
	// b dies while every target's RUN runs (four of them on two nodes):
	// the build processes on the host say so, not the progress display,
	// which may print a step's start late.
	waitForRunning(t, run, "echo killed-"+n, len(names))
	killedAt := time.Now()
	if err := syscall.Kill(-b.srv.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if !run.wait(10 * time.Minute) {
		t.Fatalf("the run did not end after node b was killed:\n%s", tail(run.output(), 40))
	}
	out := run.output()
	if code := run.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit %d after node b was killed:\n%s", code, tail(out, 40))
	}
	on := placedOn(t, out)
	moved := 0
	for _, name := range names {
		if on[name] != "a" {
			t.Errorf("%s finished on %q, want a (b was killed)", name, on[name])
		}
		if got := readFile(t, filepath.Join(dir, "out", name, "out")); !strings.HasPrefix(got, "killed-"+n+"-"+name+"\n") {
			t.Errorf("%s: /out = %q", name, got)
		}
	}
	t.Logf("the run ended %s after node b was killed", time.Since(killedAt).Round(time.Second))
	moved = strings.Count(out, "1 (b stopped answering)")
	if moved == 0 {
		t.Errorf("no target says it was moved off b:\n%s", tail(out, 20))
	}
}

// Atomic release over a pool: every node pushes by digest and the tags are
// written only once every target has succeeded. A run where one target
// fails leaves every tag as it was, none moved, none new: when the failure
// stops the others before they push, and when it comes after they pushed.
func TestIntegrationPoolAtomicPush(t *testing.T) {
	a, b := servePoolNode(t), servePoolNode(t)
	reg := testRegistry(t)
	dir := t.TempDir()
	n := nonce()
	repo := func(name string) string { return fmt.Sprintf("%s/kiln-it/atomic-%s-%s", reg.Addr, name, n) }
	// bad pushes to badRegistry ("" for no bad target)
	plan := func(marker, badRegistry string) string {
		hcl := `variable "OUT" {}` + "\n"
		var names []string
		for _, name := range []string{"one", "two"} {
			names = append(names, name)
			hcl += fmt.Sprintf(`
target %q {
  context   = %q
  platforms = ["linux/amd64"]
  dockerfile-inline = "FROM scratch\nCOPY busybox-amd64 /bin/busybox\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo %s > /marker\"]\n"
  output    = ["type=image,\"name=%s:v1,%s:%s\",push=true"]
}
`, name, demoBaseDir, marker+"-"+name, repo(name), repo(name), marker)
		}
		if badRegistry != "" {
			// bad builds, then fails in its export: its registry refuses
			// the connection
			names = append(names, "bad")
			hcl += fmt.Sprintf(`
target "bad" {
  context = %q
  platforms = ["linux/amd64"]
  dockerfile-inline = "FROM scratch\nCOPY busybox-amd64 /bin/busybox\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo failing-%s\"]\n"
  output = ["type=image,name=%s/kiln-it/nowhere:v1,push=true"]
}
`, demoBaseDir, n, badRegistry)
		}
		return hcl + fmt.Sprintf("group \"default\" {\n  targets = %s\n}\n", hclList(names))
	}
	pool := writePool(t, dir, fmt.Sprintf("node \"a\" {\n  address = %q\n}\nnode \"b\" {\n  address = %q\n}\n", a.addr, b.addr))
	client := &kilnEnv{root: t.TempDir(), env: []string{"OUT=" + filepath.Join(dir, "out")}}
	digestOf := func(name, tag string) string {
		_, h, err := (registryRepo{reg, "kiln-it/atomic-" + name + "-" + n}).get("manifests", tag)
		if err != nil {
			return ""
		}
		return h.Get("Docker-Content-Digest")
	}

	writeFiles(t, dir, map[string]string{"docker-bake.hcl": plan("first", "")})
	r := client.bake(t, dir, "--pool", pool).mustSucceed(t)
	v1 := map[string]string{}
	for _, name := range []string{"one", "two"} {
		if v1[name] = digestOf(name, "v1"); v1[name] == "" || digestOf(name, "first") != v1[name] {
			t.Fatalf("%s: v1 %q, first %q: want both tags written to one digest\n%s", name, v1[name], digestOf(name, "first"), tail(r.out, 20))
		}
		if !strings.Contains(r.out, "pushed "+repo(name)+":v1,"+repo(name)+":first sha256:") {
			t.Errorf("summary does not name the push of %s:\n%s", name, tail(r.out, 20))
		}
	}

	writeFiles(t, dir, map[string]string{"docker-bake.hcl": plan("second", "127.0.0.1:1")})
	r = client.bake(t, dir, "--pool", pool).mustFail(t)
	mustRan(t, r, "failing-"+n)
	if !strings.Contains(r.out, "ERROR: target bad: failed to solve: failed to push 127.0.0.1:1/kiln-it/nowhere") {
		t.Errorf("bad did not fail in its push:\n%s", tail(r.out, 20))
	}
	for _, name := range []string{"one", "two"} {
		if got := digestOf(name, "v1"); got != v1[name] {
			t.Errorf("%s:v1 moved from %s to %s by a run that failed", name, v1[name], got)
		}
		if got := digestOf(name, "second"); got != "" {
			t.Errorf("%s:second was written (%s) by a run that failed", name, got)
		}
	}

	// The others have pushed (by digest) when bad's push fails: its
	// registry holds the connection until one's and two's exports are
	// done, then drops it. Their tags stay as they were all the same.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	release := make(chan struct{})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { <-release; c.Close() }()
		}
	}()
	writeFiles(t, dir, map[string]string{"docker-bake.hcl": plan("third", l.Addr().String())})
	run := client.start(t, dir, client.bakeArgs("--pool", pool)...)
	exported := func(target string) bool {
		for _, v := range steps(run.output(), "exporting to image") {
			if strings.HasPrefix(v.name, "["+target+" ") && v.done {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(5 * time.Minute); !exported("one") || !exported("two"); time.Sleep(100 * time.Millisecond) {
		select {
		case <-run.done:
			t.Fatalf("the run ended before one and two had pushed:\n%s", tail(run.output(), 30))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("one and two did not push:\n%s", tail(run.output(), 30))
		}
	}
	close(release)
	if !run.wait(5 * time.Minute) {
		t.Fatalf("the run did not end:\n%s", tail(run.output(), 30))
	}
	out := run.output()
	if run.cmd.ProcessState.ExitCode() == 0 {
		t.Fatalf("a run whose push failed exited 0:\n%s", tail(out, 20))
	}
	for _, name := range []string{"one", "two"} {
		if got := digestOf(name, "v1"); got != v1[name] {
			t.Errorf("%s:v1 moved from %s to %s by a run whose last push failed", name, v1[name], got)
		}
		if got := digestOf(name, "third"); got != "" {
			t.Errorf("%s:third was written (%s) by a run that failed", name, got)
		}
		if !strings.Contains(out, repo(name)+":v1") || !strings.Contains(out, "tags left as they were (pushed by digest only, the run failed)") {
			t.Errorf("the summary does not name %s's tags as left as they were:\n%s", name, tail(out, 20))
		}
	}
}

// --jobs bounds the whole pool, not each node: with parallel=2 over two
// nodes no more than two RUN steps ever run at once (the run's trace has
// every step's span), and both nodes are used.
func TestIntegrationPoolJobsBound(t *testing.T) {
	a, b := servePoolNode(t), servePoolNode(t)
	dir := t.TempDir()
	n := nonce()
	hcl, names := spinPlan("j", "jobs-"+n, 5, 100000)
	writeFiles(t, dir, map[string]string{"docker-bake.hcl": hcl})
	client := &kilnEnv{root: t.TempDir(), env: []string{"OUT=" + filepath.Join(dir, "out")}}
	traceFile := filepath.Join(dir, "trace.json")
	r := client.bake(t, dir, "--builder", a.addr, "--builder", b.addr, "--jobs", "2", "--trace", traceFile).mustSucceed(t)
	var f trace.File
	if err := json.Unmarshal([]byte(readFile(t, traceFile)), &f); err != nil {
		t.Fatal(err)
	}
	type edge struct {
		at    int64
		delta int
	}
	var edges []edge
	for _, e := range f.TraceEvents {
		if e.Ph == "X" && strings.Contains(e.Name, "echo jobs-"+n) {
			edges = append(edges, edge{e.Ts, 1}, edge{e.Ts + e.Dur, -1})
		}
	}
	if len(edges) != 2*len(names) {
		t.Fatalf("%d RUN spans in the trace, want %d", len(edges)/2, len(names))
	}
	slices.SortFunc(edges, func(x, y edge) int { return cmp.Or(cmp.Compare(x.at, y.at), cmp.Compare(x.delta, y.delta)) })
	running, peak := 0, 0
	for _, e := range edges {
		running += e.delta
		peak = max(peak, running)
	}
	if peak > 2 {
		t.Errorf("%d RUN steps at once across the pool under --jobs 2", peak)
	}
	on := map[string]bool{}
	for _, node := range placedOn(t, r.out) {
		on[node] = true
	}
	if len(on) != 2 {
		t.Errorf("targets ran on %v, want both nodes", on)
	}
}

// Ctrl-C (and SIGTERM) cancels every node's solves: kiln exits 130 (143)
// and no build container is left running on any node.
func TestIntegrationPoolInterrupt(t *testing.T) {
	a, b := servePoolNode(t), servePoolNode(t)
	dir := t.TempDir()
	client := &kilnEnv{root: t.TempDir(), env: []string{"OUT=" + filepath.Join(dir, "out")}}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		n := nonce()
		hcl, names := spinPlan("c", "interrupt-"+n, 4, 50000000)
		writeFiles(t, dir, map[string]string{"docker-bake.hcl": hcl})
		run := client.start(t, dir, client.bakeArgs("--builder", a.addr, "--builder", b.addr)...)
		waitForRunning(t, run, "echo interrupt-"+n, len(names))
		if cs := append(runcContainersUnder(t, a.root), runcContainersUnder(t, b.root)...); len(cs) < 2 {
			t.Fatalf("want build containers on both nodes before %s, found %v", sig, cs)
		}
		if err := run.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		if !run.wait(2 * time.Minute) {
			t.Fatalf("kiln did not stop within 2m of %s:\n%s", sig, tail(run.output(), 30))
		}
		if code, want := run.cmd.ProcessState.ExitCode(), 128+int(sig); code != want {
			t.Errorf("exit %d after %s, want %d:\n%s", code, sig, want, tail(run.output(), 20))
		}
		// The nodes are daemons of their own: each ends a cancelled solve's
		// container as it learns of the cancel, within moments, not at once.
		gone := func() bool {
			return len(runcContainersUnder(t, a.root)) == 0 && len(runcContainersUnder(t, b.root)) == 0 && len(processesMatching("echo interrupt-"+n)) == 0
		}
		for end := time.Now().Add(30 * time.Second); !gone() && time.Now().Before(end); {
			time.Sleep(200 * time.Millisecond)
		}
		for _, node := range []poolNode{a, b} {
			if cs := runcContainersUnder(t, node.root); len(cs) > 0 {
				t.Errorf("runc containers remain on %s 30s after %s: %v", node.addr, sig, cs)
			}
		}
		if ps := processesMatching("echo interrupt-" + n); len(ps) > 0 {
			t.Errorf("build processes still run 30s after %s: %v", sig, ps)
		}
	}
}
