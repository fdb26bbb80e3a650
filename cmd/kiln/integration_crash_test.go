package main

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestIntegrationKilledMidRun kills kiln (SIGKILL) while a RUN sleeps, on its
// own state directory, and checks that:
//   - a second kiln on that state directory, while the first runs, fails at
//     once with an error saying the directory is in use;
//   - the next `kiln bake` succeeds, hits the cache of the steps that had
//     completed, and leaves no runc container or mount of the state behind;
//   - an interrupted kiln (SIGINT) stops and leaves nothing behind either.
func TestIntegrationKilledMidRun(t *testing.T) {
	e := freshEngine(t)
	dir := t.TempDir()
	n := nonce()
	writeFiles(t, dir, map[string]string{
		// $((1+1)) makes the log line differ from the step's name.
		"Dockerfile": fmt.Sprintf(`FROM base
RUN echo step-one-%[1]s > /one
ARG SLEEP
RUN echo "sleeping-$((1+1))-%[1]s-$SLEEP" && sleep $SLEEP && echo slept > /two
`, n),
		"docker-bake.hcl": baseTarget(t, "linux/amd64") + `
variable "SLEEP" { default = "300" }
target "app" {
  contexts  = { base = "target:base" }
  platforms = ["linux/amd64"]
  args      = { SLEEP = SLEEP }
  output    = ["type=local,dest=out"]
}
`,
	})
	other := t.TempDir()
	writeFiles(t, other, map[string]string{
		"docker-bake.hcl": `target "other" {
  dockerfile-inline = "FROM scratch\nCOPY docker-bake.hcl /\n"
  output = ["type=local,dest=out"]
}
`,
	})

	a := e.start(t, dir, e.bakeArgs("app")...)
	t.Cleanup(func() { syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL) }) // orphans, if any survive
	a.waitFor(t, "sleeping-2-"+n+"-300", 5*time.Minute)

	t.Run("busy state directory", func(t *testing.T) {
		r := e.bake(t, other, "other")
		r.mustErrorNaming(t, e.root, `(?i)in use|locked|busy`)
		mustNotExist(t, filepath.Join(other, "out"))
	})

	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	a.wait(time.Minute)
	t.Logf("left behind by kill -9: runc containers %v, processes %v, mounts %v",
		runcContainersUnder(t, e.root), processesMatching("sleeping-$((1+1))-"+n), mountsUnder(e.root))

	t.Run("next run recovers", func(t *testing.T) {
		r := e.with("SLEEP=0").bake(t, dir, "app").mustSucceed(t)
		mustCached(t, r, "step-one-"+n)
		if got := readFile(t, filepath.Join(dir, "out", "two")); got != "slept\n" {
			t.Errorf("/two = %q", got)
		}
		if cs := runcContainersUnder(t, e.root); len(cs) > 0 {
			t.Errorf("runc containers of the killed kiln are still there: %v", cs)
		}
		if ps := processesMatching("sleeping-$((1+1))-" + n); len(ps) > 0 {
			t.Errorf("processes of the killed kiln's build are still running: %v", ps)
		}
		if mps := mountsUnder(e.root); len(mps) > 0 {
			t.Errorf("mounts under %s remain: %v", e.root, mps)
		}
	})

	t.Run("interrupt", func(t *testing.T) {
		b := e.start(t, dir, e.bakeArgs("app")...)
		b.waitFor(t, "sleeping-2-"+n+"-300", 5*time.Minute)
		if err := b.cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		if !b.wait(2 * time.Minute) {
			t.Fatalf("kiln did not stop within 2m of SIGINT:\n%s", tail(b.output(), 30))
		}
		if b.cmd.ProcessState.ExitCode() == 0 {
			t.Errorf("an interrupted kiln exited 0:\n%s", tail(b.output(), 30))
		}
		if cs := runcContainersUnder(t, e.root); len(cs) > 0 {
			t.Errorf("runc containers remain after SIGINT: %v", cs)
		}
		if ps := processesMatching("sleeping-$((1+1))-" + n); len(ps) > 0 {
			t.Errorf("build processes still run after SIGINT: %v", ps)
		}
		if mps := mountsUnder(e.root); len(mps) > 0 {
			t.Errorf("mounts under %s remain after SIGINT: %v", e.root, mps)
		}
	})
}
