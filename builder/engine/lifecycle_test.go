package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
)

// The helper processes these tests re-exec: the test binary itself, with
// KILN_ENGINE_HELPER naming what to do.
func TestMain(m *testing.M) {
	switch os.Getenv("KILN_ENGINE_HELPER") {
	case "":
		os.Exit(m.Run())
	case "start":
		helperStart()
	case "build-forever":
		helperBuildForever()
	}
	os.Exit(3)
}

// helperStart tries to start an engine and prints the error.
func helperStart() {
	e, err := Start(context.Background(), Options{Root: os.Getenv("KILN_TEST_ROOT")})
	if err != nil {
		fmt.Println(err)
		var le *LockedError
		if errors.As(err, &le) {
			os.Exit(10)
		}
		os.Exit(1)
	}
	e.Close()
	os.Exit(0)
}

// firstStep and stuckStep are the builds of the kill test: the first one
// completes, the second never does.
func firstExec(base llb.State) (llb.ExecState, llb.State) {
	e := sh(base, "echo first > /out/first", llb.WithCustomName("first step"))
	return e, e.AddMount("/out", llb.Scratch())
}

func firstStep(base llb.State) llb.State {
	_, out := firstExec(base)
	return out
}

func stuckStep(base llb.State) llb.State {
	e, _ := firstExec(base)
	return sh(e.Root(), "sleep 3600", llb.WithCustomName("stuck step")).AddMount("/out2", llb.Scratch())
}

// helperBuildForever solves firstStep, says so, then runs stuckStep until killed.
func helperBuildForever() {
	t := &helperTB{}
	e, err := Start(context.Background(), Options{Root: os.Getenv("KILN_TEST_ROOT")})
	if err != nil {
		fmt.Println("start:", err)
		os.Exit(1)
	}
	base := os.Getenv("KILN_TEST_BASE")
	solve(t, e.Client(), firstStep(baseImage()), base, client.SolveOpt{})
	fmt.Println("first step done")
	solve(t, e.Client(), stuckStep(baseImage()), base, client.SolveOpt{})
	os.Exit(4)
}

// helperTB lets solve() run outside a test.
type helperTB struct{ testing.TB }

func (helperTB) Helper()                           {}
func (helperTB) TempDir() string                   { d, _ := os.MkdirTemp("", "kiln-helper"); return d }
func (helperTB) Fatal(args ...any)                 { fmt.Println(args...); os.Exit(2) }
func (helperTB) Fatalf(format string, args ...any) { fmt.Printf(format+"\n", args...); os.Exit(2) }
func (helperTB) Skipf(format string, args ...any)  { fmt.Printf(format+"\n", args...); os.Exit(2) }
func (helperTB) Logf(format string, args ...any)   {}
func (helperTB) Cleanup(func())                    {}
func (helperTB) Errorf(format string, args ...any) { fmt.Printf(format+"\n", args...) }
func (helperTB) Name() string                      { return "helper" }
func (helperTB) Skip(args ...any)                  { fmt.Println(args...); os.Exit(2) }

func helperCmd(t *testing.T, what, root string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "KILN_ENGINE_HELPER="+what, "KILN_TEST_ROOT="+root, "KILN_TEST_OUT="+t.TempDir())
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	return cmd
}

// startWithin guards against the hang this test exists for: a second Start
// in one process blocking forever on a bbolt file the first left open.
func startWithin(t *testing.T, root string, d time.Duration) *Engine {
	t.Helper()
	type result struct {
		e   *Engine
		err error
	}
	ch := make(chan result, 1)
	go func() {
		e, err := Start(context.Background(), Options{Root: root})
		ch <- result{e, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("start: %v", r.err)
		}
		t.Cleanup(func() { r.e.Close() })
		return r.e
	case <-time.After(d):
		t.Fatalf("Start on %s did not return in %v: something of the previous engine is still open", root, d)
		return nil
	}
}

func TestReopenInOneProcess(t *testing.T) {
	requireEngine(t)
	base := busyboxDir(t, "amd64")
	root := t.TempDir()
	st := sh(baseImage(), "echo reopen > /out/f", llb.WithCustomName("write f")).AddMount("/out", llb.Scratch())

	for i := 0; i < 3; i++ {
		e := startWithin(t, root, 2*time.Minute)
		res := solve(t, e.Client(), st, base, client.SolveOpt{})
		if got := readFile(t, filepath.Join(res.out, "f")); got != "reopen\n" {
			t.Fatalf("open %d: f = %q", i, got)
		}
		if i > 0 && !res.cached["write f"] {
			t.Errorf("open %d: step not cached after reopen: %v", i, res.cached)
		}
		if err := e.Close(); err != nil {
			t.Fatalf("close %d: %v", i, err)
		}
	}
}

func TestLockHeldBySecondProcess(t *testing.T) {
	requireEngine(t)
	root := t.TempDir()
	e := startEngine(t, root)

	out, err := helperCmd(t, "start", root).Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 10 {
		t.Fatalf("second process: want LockedError exit 10, got %v; output: %s", err, out)
	}
	msg := strings.TrimSpace(string(out))
	if strings.Count(msg, "\n") != 0 {
		t.Errorf("error is not one line: %q", msg)
	}
	for _, want := range []string{root, "process " + strconv.Itoa(os.Getpid()), "kiln engine serve"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}

	// A serving engine advertises its address, and the error says to use it.
	if err := e.Advertise("unix:///run/kiln/test.sock"); err != nil {
		t.Fatal(err)
	}
	out, _ = helperCmd(t, "start", root).Output()
	if !strings.Contains(string(out), "--builder unix:///run/kiln/test.sock") {
		t.Errorf("error for a serving holder does not give its address: %s", out)
	}

	// Once released, the other process gets it.
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if out, err := helperCmd(t, "start", root).Output(); err != nil {
		t.Fatalf("start after release: %v: %s", err, out)
	}
}

func TestLockHeldInSameProcess(t *testing.T) {
	requireEngine(t)
	root := t.TempDir()
	startEngine(t, root)
	_, err := Start(context.Background(), Options{Root: root})
	var le *LockedError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "already open in this process") {
		t.Fatalf("second Start in one process: %v", err)
	}
}
