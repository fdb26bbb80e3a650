package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-build/kiln/internal/testenv"
)

// summaryLine is one target's line of kiln's summary: built (succeeded)
// or skipped (up to date).
var summaryLine = regexp.MustCompile(`(?m)^  (\S+)\s+(succeeded|up to date \(built [^)]*\)|failed|aborted|not started)`)

// builtAndSkipped reads the summary of r: the targets built and those up to date.
func builtAndSkipped(t *testing.T, r *kilnRun) (built, skipped []string) {
	t.Helper()
	for _, m := range summaryLine.FindAllStringSubmatch(r.out, -1) {
		switch {
		case m[2] == "succeeded":
			built = append(built, m[1])
		case strings.HasPrefix(m[2], "up to date"):
			skipped = append(skipped, m[1])
		default:
			t.Fatalf("target %s %s:\n%s", m[1], m[2], r)
		}
	}
	sort.Strings(built)
	sort.Strings(skipped)
	return built, skipped
}

// TestIntegrationSkipMutations builds a project of four targets, then
// changes one thing at a time and checks that exactly the targets that
// change affects are built again and the others are reported up to date.
func TestIntegrationSkipMutations(t *testing.T) {
	e := freshEngine(t)
	reg := testRegistry(t)
	n := nonce()
	baseRepo, pushRepo := "skip-base-"+n, "skip-pushed-"+n
	testenv.PushEmptyImage(t, reg.Addr, baseRepo, "1", "first")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"lib/Dockerfile":    "FROM scratch\nCOPY . /lib/\n",
		"lib/l.txt":         "lib " + n,
		"app/Dockerfile":    "ARG BASE\nFROM ${BASE}\nCOPY --from=libctx /lib /lib\nCOPY --from=shared / /shared\nARG MSG\nCOPY . /app/\n",
		"app/main.txt":      "app " + n,
		"app/debug.log":     "ignored",
		"app/.dockerignore": "*.log\n",
		"shared/s.txt":      "shared",
		"web/Dockerfile":    "FROM scratch\nARG TAG\nCOPY w.txt /\n",
		"web/w.txt":         "web " + n,
		"pushed/Dockerfile": "FROM scratch\nCOPY p.txt /\n",
		"pushed/p.txt":      "pushed " + n,
		"docker-bake.hcl": fmt.Sprintf(`
variable "MSG" { default = "hello" }
variable "WEB_TAG" { default = "a" }
group "default" { targets = ["app", "lib", "web", "pushed"] }
target "lib" {
  context = "lib"
  output  = ["type=local,dest=out/lib"]
}
target "app" {
  context  = "app"
  contexts = { libctx = "target:lib", shared = "shared" }
  args     = { BASE = "%[1]s/%[2]s:1", MSG = MSG }
  output   = ["type=local,dest=out/app"]
}
target "web" {
  context = "web"
  args    = { TAG = WEB_TAG }
  output  = ["type=tar,dest=out/web.tar"]
}
target "pushed" {
  context = "pushed"
  output  = ["type=registry,name=%[1]s/%[3]s:1"]
}
`, reg.Addr, baseRepo, pushRepo),
	})
	all := []string{"app", "lib", "pushed", "web"}
	bake := func(env *kilnEnv, extraEnv []string, args ...string) *kilnRun {
		t.Helper()
		ee := *env
		ee.env = append(slices.Clone(ee.env), extraEnv...)
		return ee.bake(t, dir, args...).mustSucceed(t)
	}
	first := bake(e, nil)
	if built, _ := builtAndSkipped(t, first); !slices.Equal(built, all) {
		t.Fatalf("first run built %v, want %v:\n%s", built, all, first)
	}
	edit := func(rel, content string) func() {
		return func() { writeFiles(t, dir, map[string]string{rel: content}) }
	}
	var pushedDigest string
	addr, _ := serveFreshEngine(t, "")
	otherNode := &kilnEnv{root: e.root, builder: addr}

	steps := []struct {
		what    string
		mutate  func()
		env     *kilnEnv
		extra   []string // environment
		args    []string
		rebuilt []string
	}{
		{what: "nothing changed"},
		{what: "a context file edited", mutate: edit("app/main.txt", "app 2 "+n), rebuilt: []string{"app"}},
		{what: "a .dockerignored file edited", mutate: edit("app/debug.log", "still ignored")},
		{what: ".dockerignore changed", mutate: edit("app/.dockerignore", "*.log\n*.tmp\n"), rebuilt: []string{"app"}},
		{what: "the Dockerfile edited", mutate: edit("web/Dockerfile", "FROM scratch\nARG TAG\nCOPY w.txt /w2.txt\n"), rebuilt: []string{"web"}},
		{what: "--set an arg", args: []string{"--set", "web.args.TAG=b"}, rebuilt: []string{"web"}},
		{what: "--set removed", rebuilt: []string{"web"}},
		{what: "--var", args: []string{"--var", "MSG=bye"}, rebuilt: []string{"app"}},
		{what: "--var removed", rebuilt: []string{"app"}},
		{what: "an env var a variable reads", extra: []string{"WEB_TAG=c"}, rebuilt: []string{"web"}},
		{what: "the env var unset", rebuilt: []string{"web"}},
		{what: "a named local context edited", mutate: edit("shared/s.txt", "shared 2"), rebuilt: []string{"app"}},
		{what: "a target: dependency edited", mutate: edit("lib/l.txt", "lib 2 "+n), rebuilt: []string{"app", "lib"}},
		{what: "the FROM tag moved", mutate: func() { testenv.PushEmptyImage(t, reg.Addr, baseRepo, "1", "second") }, rebuilt: []string{"app"}},
		{what: "a local output deleted", mutate: func() { os.RemoveAll(filepath.Join(dir, "out", "lib")) }, rebuilt: []string{"lib"}},
		{what: "a local output edited", mutate: edit("out/app/app/main.txt", "tampered"), rebuilt: []string{"app"}},
		{what: "a tar output edited", mutate: edit("out/web.tar", "tampered"), rebuilt: []string{"web"}},
		{what: "the pushed tag deleted", mutate: func() {
			pushedDigest = testenv.ManifestDigest(t, reg.Addr, pushRepo, "1")
			if pushedDigest == "" {
				t.Fatalf("%s:1 was not pushed", pushRepo)
			}
			testenv.DeleteManifest(t, reg.Addr, pushRepo, pushedDigest)
		}, rebuilt: []string{"pushed"}},
		{what: "a different node", env: otherNode, rebuilt: all},
		{what: "nothing changed on that node", env: otherNode},
		{what: "--no-cache", args: []string{"--no-cache"}, rebuilt: all},
	}
	libOut := filepath.Join(dir, "out", "lib", "lib", "l.txt")
	for _, s := range steps {
		if s.mutate != nil {
			s.mutate()
		}
		libBefore, _ := os.Stat(libOut)
		env := e
		if s.env != nil {
			env = s.env
		}
		r := bake(env, s.extra, s.args...)
		built, skipped := builtAndSkipped(t, r)
		want := s.rebuilt
		if want == nil {
			want = []string{}
		}
		if built == nil {
			built = []string{}
		}
		var wantSkipped []string
		for _, n := range all {
			if !slices.Contains(want, n) {
				wantSkipped = append(wantSkipped, n)
			}
		}
		if !slices.Equal(built, want) || !slices.Equal(skipped, wantSkipped) {
			t.Errorf("%s: built %v, up to date %v; want built %v, up to date %v\n%s", s.what, built, skipped, want, wantSkipped, r)
		}
		// an up-to-date dependency of a rebuilt target is solved, not exported again
		if libAfter, err := os.Stat(libOut); libBefore != nil && slices.Contains(built, "app") && !slices.Contains(built, "lib") &&
			(err != nil || !os.SameFile(libBefore, libAfter) || !libAfter.ModTime().Equal(libBefore.ModTime())) {
			t.Errorf("%s: lib's output was written again though lib is up to date", s.what)
		}
		if strings.Contains(r.out, "WARNING: target") {
			t.Errorf("%s: unexpected warning:\n%s", s.what, r)
		}
	}
	if d := testenv.ManifestDigest(t, reg.Addr, pushRepo, "1"); d == "" {
		t.Errorf("%s:1 is not in the registry after it was rebuilt", pushRepo)
	}
	// --print and --list are not affected by records
	if r := e.kiln(t, dir, "bake", "--print", "app"); r.code != 0 || strings.Contains(r.out, "up to date") {
		t.Errorf("--print: %s", r)
	}
	// --no-skip builds everything anyway, and records it: the next run skips
	if built, _ := builtAndSkipped(t, bake(e, nil, "--no-skip")); !slices.Equal(built, all) {
		t.Errorf("--no-skip built %v, want %v", built, all)
	}
	if _, skipped := builtAndSkipped(t, bake(e, nil)); !slices.Equal(skipped, all) {
		t.Errorf("after --no-skip, up to date %v, want %v", skipped, all)
	}
	// a subrequest builds nothing and leaves the records as they were
	// (its lint warnings may fail it: only what follows matters)
	e.bake(t, dir, "--check")
	if _, skipped := builtAndSkipped(t, bake(e, nil)); !slices.Equal(skipped, all) {
		t.Errorf("after --check, up to date %v, want %v", skipped, all)
	}
}

// TestIntegrationSkipKilledDuringExport kills kiln (SIGKILL) while it
// writes a target's local output; the next run builds the target again
// instead of trusting an output that may be incomplete.
func TestIntegrationSkipKilledDuringExport(t *testing.T) {
	e := freshEngine(t)
	dir := t.TempDir()
	n := nonce()
	writeFiles(t, dir, map[string]string{
		// a large output, so that writing it takes a while
		"Dockerfile": fmt.Sprintf("FROM base\nRUN echo %s && for i in 1 2 3 4 5 6 7 8; do head -c 33554432 /dev/urandom > /big$i; done\n", n),
		"docker-bake.hcl": baseTarget(t, "linux/amd64") + `
target "app" {
  contexts  = { base = "target:base" }
  platforms = ["linux/amd64"]
  output    = ["type=local,dest=out"]
}
`,
	})
	r := e.bake(t, dir, "app").mustSucceed(t)
	if built, _ := builtAndSkipped(t, r); !slices.Contains(built, "app") {
		t.Fatalf("app not built:\n%s", r)
	}
	if r := e.bake(t, dir, "app").mustSucceed(t); !strings.Contains(r.out, "up to date") {
		t.Fatalf("app not up to date on the second run:\n%s", r)
	}
	// the output deleted: the next run exports again; kill it while it does
	if err := os.RemoveAll(filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	a := e.start(t, dir, e.bakeArgs("app")...)
	a.waitFor(t, "exporting to client directory", 3*time.Minute)
	syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
	a.wait(time.Minute)
	if strings.Contains(a.output(), "kiln: ") {
		t.Skipf("kiln finished before it was killed (the export was too quick to catch):\n%s", tail(a.output(), 20))
	}
	r = e.bake(t, dir, "app").mustSucceed(t)
	built, _ := builtAndSkipped(t, r)
	if !slices.Contains(built, "app") {
		t.Errorf("after a kill during the export, app was not built again:\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "big8")); err != nil {
		t.Errorf("output incomplete after the rerun: %v", err)
	}
}
