package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-build/kiln/builder/trace"
)

// The tests of `kiln bake` over a pool: real `kiln engine serve` nodes on
// unix sockets and on 127.0.0.1 TCP with mutual TLS, the test registry.

// poolNode is one `kiln engine serve` of a test pool.
type poolNode struct {
	addr string
	root string // its KILN_ROOT (engine state)
	srv  *asyncKiln
}

func servePoolNode(t *testing.T) poolNode {
	t.Helper()
	e := freshEngine(t)
	sock := filepath.Join(t.TempDir(), "kiln.sock")
	srv := e.start(t, "/", "engine", "serve", "--addr", "unix://"+sock)
	waitForSocket(t, srv, sock)
	t.Cleanup(func() {
		if srv.cmd.ProcessState == nil {
			stopServe(t, srv)
		}
	})
	return poolNode{addr: "unix://" + sock, root: e.root, srv: srv}
}

// serveTLSPoolNode serves on 127.0.0.1 TCP with mutual TLS; it returns the
// node and the pool file block's tls settings.
func serveTLSPoolNode(t *testing.T) (poolNode, string) {
	t.Helper()
	e := freshEngine(t)
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	ca, caKey := writeCert(t, dir, "ca", nil, nil)
	writeCert(t, dir, "server", ca, caKey)
	writeCert(t, dir, "client", ca, caKey)
	srv := e.start(t, "/", "engine", "serve", "--addr", "tcp://127.0.0.1:0",
		"--tlscert", p("server.pem"), "--tlskey", p("server-key.pem"), "--tlscacert", p("ca.pem"))
	srv.waitFor(t, "kiln engine serving", 2*time.Minute)
	m := regexp.MustCompile(`serving .* on (tcp://127\.0\.0\.1:\d+)`).FindStringSubmatch(srv.output())
	if m == nil {
		t.Fatalf("no tcp address in the serve output:\n%s", srv.output())
	}
	t.Cleanup(func() {
		if srv.cmd.ProcessState == nil {
			stopServe(t, srv)
		}
	})
	tls := fmt.Sprintf("tls {\n    ca = %q\n    cert = %q\n    key = %q\n  }", p("ca.pem"), p("client.pem"), p("client-key.pem"))
	return poolNode{addr: m[1], root: e.root, srv: srv}, tls
}

// spinTarget is a target built FROM scratch on the demo's busybox for
// platform ("" for the node's own): a RUN that counts to n (CPU-bound) and
// writes marker to /out; its result goes to ${OUT}/name.
func spinTarget(name, platform, marker string, n int) string {
	plat := ""
	if platform != "" {
		plat = fmt.Sprintf("\n  platforms = [%q]", platform)
	}
	return fmt.Sprintf(`
target %q {
  context = %q%s
  dockerfile-inline = <<EOT
FROM scratch
ARG TARGETARCH
COPY busybox-$${TARGETARCH} /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "i=0; while [ $i -lt %d ]; do i=$((i+1)); done; echo %s > /out; /bin/busybox uname -m >> /out"]
EOT
  output = ["type=local,dest=${OUT}/%s"]
}
`, name, demoBaseDir, plat, n, marker, name)
}

// spinPlan is a bake file of count spinTargets named prefix0, prefix1, …
// (markers marker-prefixI) in the default group, and their names.
func spinPlan(prefix, marker string, count, n int) (string, []string) {
	hcl := `variable "OUT" {}` + "\n"
	var names []string
	for i := range count {
		name := fmt.Sprintf("%s%d", prefix, i)
		names = append(names, name)
		hcl += spinTarget(name, "", marker+"-"+name, n)
	}
	return hcl + fmt.Sprintf("group \"default\" {\n  targets = %s\n}\n", hclList(names)), names
}

// waitForRunning waits until n build processes whose command line holds s
// run on this host (what the nodes run, not what a display printed, which
// may print a step's start late), or fails if run ends first.
func waitForRunning(t *testing.T, run *asyncKiln, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for len(processesMatching(s)) < n {
		select {
		case <-run.done:
			t.Fatalf("the run ended before %d steps ran:\n%s", n, tail(run.output(), 40))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d steps did not all start:\n%s", n, tail(run.output(), 40))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// placedOn reads the pool summary's NODE column: target → node.
func placedOn(t *testing.T, out string) map[string]string { return poolColumn(t, out, 2) }

// poolColumn reads column i of the pool summary: target → value.
func poolColumn(t *testing.T, out string, i int) map[string]string {
	t.Helper()
	m := map[string]string{}
	head := regexp.MustCompile(`(?m)^\s+TARGET\s+PLATFORM\s+NODE\s+STATUS`)
	loc := head.FindStringIndex(out)
	if loc == nil {
		t.Fatalf("no pool summary in:\n%s", tail(out, 40))
	}
	for _, l := range strings.Split(out[loc[1]:], "\n")[1:] {
		f := strings.Fields(l)
		if len(f) < 4 {
			break
		}
		m[f[0]] = f[i]
	}
	return m
}

func writePool(t *testing.T, dir, body string) string {
	t.Helper()
	f := filepath.Join(dir, "pool.hcl")
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// Single-platform targets are spread over the nodes of the pool (two on
// unix sockets, one on TCP with mutual TLS), each built right.
func TestIntegrationPoolSpread(t *testing.T) {
	a, b := servePoolNode(t), servePoolNode(t)
	c, tls := serveTLSPoolNode(t)
	dir := t.TempDir()
	n := nonce()
	hcl, names := spinPlan("t", "spread-"+n, 6, 20000)
	writeFiles(t, dir, map[string]string{"docker-bake.hcl": hcl})
	pool := writePool(t, dir, fmt.Sprintf("node \"a\" {\n  address = %q\n}\nnode \"b\" {\n  address = %q\n}\nnode \"c\" {\n  address = %q\n  %s\n}\n", a.addr, b.addr, c.addr, tls))
	client := &kilnEnv{root: t.TempDir(), env: []string{"OUT=" + filepath.Join(dir, "out")}}
	r := client.bake(t, dir, "--pool", pool).mustSucceed(t)
	on := placedOn(t, r.out)
	count := map[string]int{}
	for _, name := range names {
		count[on[name]]++
		if got := readFile(t, filepath.Join(dir, "out", name, "out")); !strings.HasPrefix(got, "spread-"+n+"-"+name+"\n") {
			t.Errorf("%s: /out = %q", name, got)
		}
	}
	if count["a"] == 0 || count["b"] == 0 || count["c"] == 0 || len(count) != 3 {
		t.Errorf("placements %v: want targets on each of a, b, c\n%s", on, tail(r.out, 20))
	}
	if !strings.Contains(r.out, "6 target(s) on a pool of 3 node(s) (a, b, c)") {
		t.Errorf("summary does not name the pool:\n%s", tail(r.out, 20))
	}

	// The next run prefers the node each target was built on (its cache).
	r = client.bake(t, dir, "--pool", pool).mustSucceed(t)
	if again := placedOn(t, r.out); fmt.Sprint(again) != fmt.Sprint(on) {
		t.Errorf("second run placed %v, first %v: want the same nodes (sticky)", again, on)
	}
	for _, name := range names {
		mustCached(t, r, "spread-"+n+"-"+name)
	}
}

// A node restricted to linux/amd64 and one to linux/arm64: each target
// goes to the node that builds its platform natively. A target: chain is
// built on one node.
func TestIntegrationPoolPlatformsAndChains(t *testing.T) {
	amd, arm := servePoolNode(t), servePoolNode(t)
	dir := t.TempDir()
	n := nonce()
	hcl := `variable "OUT" {}` + "\n" + spinTarget("on-amd", "linux/amd64", "amd-"+n, 10) + spinTarget("on-arm", "linux/arm64", "arm-"+n, 10) +
		baseTarget(t, "linux/arm64") + fmt.Sprintf(`
target "app" {
  contexts  = { base = "target:base" }
  platforms = ["linux/arm64"]
  dockerfile-inline = "FROM base\nRUN echo chain-%s > /chain\n"
  output    = ["type=local,dest=${OUT}/app"]
}
group "default" {
  targets = ["on-amd", "on-arm", "app"]
}
`, n)
	writeFiles(t, dir, map[string]string{"docker-bake.hcl": hcl})
	pool := writePool(t, dir, fmt.Sprintf("node \"amd\" {\n  address = %q\n  platforms = [\"linux/amd64\"]\n}\nnode \"arm\" {\n  address = %q\n  platforms = [\"linux/arm64\"]\n}\n", amd.addr, arm.addr))
	client := &kilnEnv{root: t.TempDir(), env: []string{"OUT=" + filepath.Join(dir, "out")}}
	r := client.bake(t, dir, "--pool", pool).mustSucceed(t)
	on := placedOn(t, r.out)
	if on["on-amd"] != "amd" || on["on-arm"] != "arm" {
		t.Errorf("placements %v: want on-amd on amd, on-arm on arm", on)
	}
	if on["app"] != on["base"] || on["app"] != "arm" {
		t.Errorf("placements %v: want base and app (a target: chain for arm64) on arm", on)
	}
	if got := readFile(t, filepath.Join(dir, "out", "on-arm", "out")); got != "arm-"+n+"\naarch64\n" {
		t.Errorf("on-arm: /out = %q", got)
	}
	if got := readFile(t, filepath.Join(dir, "out", "app", "chain")); got != "chain-"+n+"\n" {
		t.Errorf("app: /chain = %q", got)
	}
}

// The pool's cache registry: what node a exported is a cache hit on node b,
// a fresh engine that never built the target.
func TestIntegrationPoolSharedCache(t *testing.T) {
	a, b := servePoolNode(t), servePoolNode(t)
	reg := testRegistry(t)
	dir := t.TempDir()
	n := nonce()
	writeFiles(t, dir, map[string]string{"docker-bake.hcl": `variable "OUT" {}` + "\n" + spinTarget("app", "linux/amd64", "shared-cache-"+n, 10)})
	cacheRepo := fmt.Sprintf("%s/kiln-it/pool-cache-%s", reg.Addr, n)
	client := &kilnEnv{root: t.TempDir(), env: []string{"OUT=" + filepath.Join(dir, "out")}}
	r1 := client.bake(t, dir, "--builder", a.addr, "--cache-registry", cacheRepo, "app").mustSucceed(t)
	mustRan(t, r1, "shared-cache-"+n)
	if _, _, err := (registryRepo{reg, "kiln-it/pool-cache-" + n}).get("manifests", "kiln-app-linux-amd64"); err != nil {
		t.Fatalf("no cache for (app, linux/amd64) in the registry: %v", err)
	}
	r2 := client.bake(t, dir, "--builder", b.addr, "--cache-registry", cacheRepo, "app").mustSucceed(t)
	// The summary counts what BuildKit reported cached; its display may
	// print an imported step as DONE while it pulls the layers.
	if c := poolColumn(t, r2.out, 5)["app"]; c != "2/2" {
		t.Errorf("app on b: %s of its build steps cached, want 2/2:\n%s", c, tail(r2.out, 20))
	}
	if on := placedOn(t, r2.out); on["app"] != b.addr {
		t.Errorf("second run on %v, want %s", on, b.addr)
	}
}

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

// Bad input: each a one-line error (or a warning when another node can
// build), nothing built half.
func TestIntegrationPoolBadInput(t *testing.T) {
	a := servePoolNode(t)
	dir := t.TempDir()
	n := nonce()
	writeFiles(t, dir, map[string]string{"docker-bake.hcl": `variable "OUT" {}` + "\n" + spinTarget("app", "", "bad-"+n, 10) + spinTarget("s390", "linux/s390x", "s390-"+n, 10)})
	client := &kilnEnv{root: t.TempDir(), env: []string{"OUT=" + filepath.Join(dir, "out"), "BUILDX_CONFIG=" + t.TempDir()}}

	gone := "unix://" + filepath.Join(dir, "none.sock")
	r := client.bake(t, dir, "--builder", a.addr, "--builder", gone, "app").mustSucceed(t)
	if !strings.Contains(r.out, "WARNING: node "+gone+" left out of the pool: builder "+gone+": no BuildKit answering") {
		t.Errorf("no warning for the unreachable node:\n%s", tail(r.out, 20))
	}

	r = client.bake(t, dir, "--builder", gone, "--builder", gone+"2", "app").mustFail(t)
	if !strings.Contains(r.out, "ERROR: no node of the pool answers ("+gone+": builder "+gone+": no BuildKit answering") {
		t.Errorf("no error when no node answers:\n%s", tail(r.out, 20))
	}

	pool := writePool(t, dir, fmt.Sprintf("node \"a\" {\n  address = %q\n}\nnode \"t\" {\n  address = \"tcp://127.0.0.1:1\"\n  tls {\n    ca = \"missing-ca.pem\"\n  }\n}\n", a.addr))
	r = client.bake(t, dir, "--pool", pool, "app").mustSucceed(t)
	if !regexp.MustCompile(`WARNING: node t left out of the pool: .*missing-ca\.pem`).MatchString(r.out) {
		t.Errorf("no warning naming the missing TLS file:\n%s", tail(r.out, 20))
	}

	r = client.bake(t, dir, "--pool", pool, "s390").mustFail(t)
	if !strings.Contains(r.out, "ERROR: target s390: no node of the pool builds linux/s390x (a runs ") {
		t.Errorf("platform no node builds:\n%s", tail(r.out, 20))
	}
	mustNotExist(t, filepath.Join(dir, "out", "s390"))

	os.WriteFile(pool, []byte("node \"a\" {\n  address = \"unix://\"\n}\n"), 0o644)
	r = client.bake(t, dir, "--pool", pool, "app").mustFail(t)
	if !strings.Contains(r.out, pool+":2,13-22: Invalid node address") {
		t.Errorf("pool file error without its position:\n%s", tail(r.out, 20))
	}

	r = client.bake(t, dir, "--builder", a.addr, "--builder", "no-such-builder", "app").mustFail(t)
	if !strings.Contains(r.out, `ERROR: builder "no-such-builder": no such buildx builder`) {
		t.Errorf("unknown buildx builder:\n%s", tail(r.out, 20))
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

// An upstream buildkitd (v0.34, $KILN_TEST_BUILDKITD) in a pool beside a
// kiln engine serve: targets go to both.
func TestIntegrationPoolBuildkitd(t *testing.T) {
	requireIntegration(t)
	bin := os.Getenv("KILN_TEST_BUILDKITD")
	if bin == "" {
		t.Skip("set KILN_TEST_BUILDKITD to a buildkitd binary")
	}
	bk, _ := serveBuildkitd(t, bin)
	a := servePoolNode(t)
	dir := t.TempDir()
	n := nonce()
	hcl, names := spinPlan("u", "upstream-"+n, 4, 100000)
	writeFiles(t, dir, map[string]string{"docker-bake.hcl": hcl})
	pool := writePool(t, dir, fmt.Sprintf("node \"kiln\" {\n  address = %q\n}\nnode \"buildkitd\" {\n  address = %q\n}\n", a.addr, bk))
	client := &kilnEnv{root: t.TempDir(), env: []string{"OUT=" + filepath.Join(dir, "out")}}
	r := client.bake(t, dir, "--pool", pool).mustSucceed(t)
	count := map[string]int{}
	for _, node := range placedOn(t, r.out) {
		count[node]++
	}
	if count["kiln"] == 0 || count["buildkitd"] == 0 {
		t.Errorf("placements %v: want targets on both nodes", count)
	}
	for _, name := range names {
		if got := readFile(t, filepath.Join(dir, "out", name, "out")); !strings.HasPrefix(got, "upstream-"+n+"-"+name+"\n") {
			t.Errorf("%s: /out = %q", name, got)
		}
	}
}

// A multi-platform target on a node restricted to linux/amd64 and one to
// linux/arm64: each platform is solved on its own node, and the parts are
// joined: the pushed tag is one manifest list holding both platforms, the
// oci tarball one valid multi-platform layout, each platform's files its own.
func TestIntegrationPoolSplitTarget(t *testing.T) {
	amd, arm := servePoolNode(t), servePoolNode(t)
	reg := testRegistry(t)
	dir := t.TempDir()
	n := nonce()
	repo := fmt.Sprintf("%s/kiln-it/split-%s", reg.Addr, n)
	writeFiles(t, dir, map[string]string{"docker-bake.hcl": fmt.Sprintf(`variable "OUT" {}
target "multi" {
  context   = %q
  platforms = ["linux/amd64", "linux/arm64"]
  dockerfile-inline = <<EOT
FROM scratch
ARG TARGETARCH
COPY busybox-$${TARGETARCH} /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "echo split-%s > /marker; /bin/busybox uname -m >> /marker"]
EOT
  output = ["type=image,name=%s:v1,push=true", "type=oci,dest=${OUT}/multi.tar"]
}
`, demoBaseDir, n, repo)})
	pool := writePool(t, dir, fmt.Sprintf("node \"amd\" {\n  address = %q\n  platforms = [\"linux/amd64\"]\n}\nnode \"arm\" {\n  address = %q\n  platforms = [\"linux/arm64\"]\n}\n", amd.addr, arm.addr))
	client := &kilnEnv{root: t.TempDir(), env: []string{"OUT=" + filepath.Join(dir, "out")}}
	r := client.bake(t, dir, "--pool", pool, "multi").mustSucceed(t)
	if !regexp.MustCompile(`(?m)^\s+multi\s+linux/amd64\s+amd\s+succeeded`).MatchString(r.out) || !regexp.MustCompile(`(?m)^\s+multi\s+linux/arm64\s+arm\s+succeeded`).MatchString(r.out) {
		t.Errorf("want multi's linux/amd64 on amd and linux/arm64 on arm:\n%s", tail(r.out, 12))
	}
	for what, imgs := range map[string]map[string]*image{
		"pushed " + repo + ":v1": func() map[string]*image { m, _ := (registryRepo{reg, "kiln-it/split-" + n}).images(t, "v1"); return m }(),
		"oci tarball":            readOCITar(t, filepath.Join(dir, "out", "multi.tar")).images(t),
	} {
		mustPlatforms(t, what, imgs, "linux/amd64", "linux/arm64")
		for p, img := range imgs {
			if got, want := img.files(t)["marker"], "split-"+n+"\n"+unameOf[p]+"\n"; got != want {
				t.Errorf("%s %s: /marker = %q, want %q", what, p, got, want)
			}
		}
	}
}

// A target: chain across nodes: base (both platforms) on one node, app
// (linux/arm64) on the node that builds arm64 natively; base's result
// reaches app's node through the pool registry (pushed by digest, a
// docker-image:// context), not rebuilt there.
func TestIntegrationPoolChainAcrossNodes(t *testing.T) {
	amd, arm := servePoolNode(t), servePoolNode(t)
	reg := testRegistry(t)
	dir := t.TempDir()
	n := nonce()
	writeFiles(t, dir, map[string]string{"docker-bake.hcl": `variable "OUT" {}` + "\n" + baseTarget(t, bothPlatforms...) + fmt.Sprintf(`
target "app" {
  contexts  = { base = "target:base" }
  platforms = ["linux/arm64"]
  dockerfile-inline = "FROM base\nRUN echo across-%s > /app && cat /etc/kiln-release >> /app\n"
  output    = ["type=local,dest=${OUT}/app"]
}
`, n)})
	pool := writePool(t, dir, fmt.Sprintf("cache-registry = %q\nnode \"amd\" {\n  address = %q\n  platforms = [\"linux/amd64\"]\n}\nnode \"arm\" {\n  address = %q\n  platforms = [\"linux/arm64\"]\n}\n",
		reg.Addr+"/kiln-it/chain-"+n, amd.addr, arm.addr))
	client := &kilnEnv{root: t.TempDir(), env: []string{"OUT=" + filepath.Join(dir, "out")}}
	r := client.bake(t, dir, "--pool", pool, "app").mustSucceed(t)
	on := placedOn(t, r.out)
	if on["base"] != "amd" || on["app"] != "arm" {
		t.Errorf("placements %v: want base on amd (first of two nodes, neither native for both its platforms) and app on arm", on)
	}
	if !regexp.MustCompile(`\[app linux/arm64@arm[^\]]*\] .*` + regexp.QuoteMeta(reg.Addr+"/kiln-it/chain-"+n+"@sha256:")).MatchString(r.out) {
		t.Errorf("app did not get base through the registry:\n%s", tail(r.out, 30))
	}
	if got := readFile(t, filepath.Join(dir, "out", "app", "app")); got != "across-"+n+"\nkiln-demo-base dev aarch64\n" {
		t.Errorf("app: /app = %q", got)
	}
}

// A pool file's cache-dir: type=local cache, one directory a unit, read
// and written through the session, so node b (fresh) gets node a's steps.
func TestIntegrationPoolCacheDir(t *testing.T) {
	a, b := servePoolNode(t), servePoolNode(t)
	dir := t.TempDir()
	n := nonce()
	writeFiles(t, dir, map[string]string{"docker-bake.hcl": `variable "OUT" {}` + "\n" + spinTarget("app", "linux/amd64", "cache-dir-"+n, 10)})
	client := &kilnEnv{root: t.TempDir(), env: []string{"OUT=" + filepath.Join(dir, "out")}}
	for i, node := range []poolNode{a, b} {
		pool := writePool(t, dir, fmt.Sprintf("cache-dir = \"cache\"\nnode \"n%d\" {\n  address = %q\n}\n", i, node.addr))
		r := client.bake(t, dir, "--pool", pool, "app").mustSucceed(t)
		if i == 0 {
			mustRan(t, r, "cache-dir-"+n)
			if _, err := os.Stat(filepath.Join(dir, "cache", "kiln-app-linux-amd64", "index.json")); err != nil {
				t.Fatalf("no local cache for (app, linux/amd64): %v\n%s", err, tail(r.out, 20))
			}
			continue
		}
		if c := poolColumn(t, r.out, 5)["app"]; c != "2/2" {
			t.Errorf("app on a fresh node: %s of its build steps cached, want 2/2:\n%s", c, tail(r.out, 20))
		}
	}
}

// `--builder NAME` for a builder made with `buildx create --driver remote`
// and `--append`: kiln uses both of its nodes.
func TestIntegrationPoolBuildxBuilder(t *testing.T) {
	a, b := servePoolNode(t), servePoolNode(t)
	buildx := findBuildx()
	if buildx == "" {
		t.Skip("buildx v0.38.2 not found (KILN_TEST_BUILDX, PATH, $GOPATH/bin)")
	}
	cfg := t.TempDir()
	for _, args := range [][]string{
		{"create", "--name", "pair", "--driver", "remote", a.addr},
		{"create", "--name", "pair", "--append", "--node", "second", "--driver", "remote", b.addr},
	} {
		cmd := exec.Command(buildx, args...)
		cmd.Env = append(os.Environ(), "BUILDX_CONFIG="+cfg)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("buildx %v: %v\n%s", args, err, out)
		}
	}
	dir := t.TempDir()
	n := nonce()
	hcl, names := spinPlan("x", "buildx-builder-"+n, 4, 20000)
	writeFiles(t, dir, map[string]string{"docker-bake.hcl": hcl})
	client := &kilnEnv{root: t.TempDir(), env: []string{"OUT=" + filepath.Join(dir, "out"), "BUILDX_CONFIG=" + cfg}}
	r := client.bake(t, dir, "--builder", "pair").mustSucceed(t)
	used := map[string]bool{}
	for _, name := range names {
		used[placedOn(t, r.out)[name]] = true
	}
	if !used["pair0"] || !used["second"] || len(used) != 2 {
		t.Errorf("targets ran on %v, want both of the builder's nodes (pair0, second):\n%s", used, tail(r.out, 12))
	}
}
