package main

// The tests of `kiln bake` over a pool: real `kiln engine serve` nodes on
// unix sockets and on 127.0.0.1 TCP with mutual TLS, upstream buildkitd,
// the test registry. Here: placement, the shared cache, the ways to name
// nodes, bad input, and the helpers; faults in integration_pool_faults_test.go,
// split targets and chains across nodes in integration_pool_split_test.go.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

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
	r = client.bake(t, dir, "--pool", pool, "--no-skip").mustSucceed(t) // built again, though up to date
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
	if !strings.Contains(r.out, pool+`:2:13: node "a": address "unix://" names no host or path`) {
		t.Errorf("pool file error without its position:\n%s", tail(r.out, 20))
	}

	r = client.bake(t, dir, "--builder", a.addr, "--builder", "no-such-builder", "app").mustFail(t)
	if !strings.Contains(r.out, `ERROR: builder "no-such-builder": no such buildx builder`) {
		t.Errorf("unknown buildx builder:\n%s", tail(r.out, 20))
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
		r := client.bake(t, dir, "--pool", pool, "--no-skip", "app").mustSucceed(t)
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
	cfg := buildxPair(t, a.addr, b.addr)
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

// buildxPair creates, with real buildx in a private BUILDX_CONFIG (returned),
// the builder "pair" of two remote-driver nodes, a then b (node "second").
func buildxPair(t *testing.T, a, b string) string {
	t.Helper()
	buildx := findBuildx()
	if buildx == "" {
		t.Skip("buildx v0.38.2 not found (KILN_TEST_BUILDX, PATH, $GOPATH/bin)")
	}
	cfg := t.TempDir()
	for _, args := range [][]string{
		{"create", "--name", "pair", "--driver", "remote", a},
		{"create", "--name", "pair", "--append", "--node", "second", "--driver", "remote", b},
	} {
		cmd := exec.Command(buildx, args...)
		cmd.Env = append(os.Environ(), "BUILDX_CONFIG="+cfg)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("buildx %v: %v\n%s", args, err, out)
		}
	}
	return cfg
}
