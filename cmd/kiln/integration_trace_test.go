package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/builder/trace"
)

// TestIntegrationDemoTrace bakes the demo with --trace and checks the file
// is a trace-event file with every vertex once, start ≤ end, and a track per
// target and platform; the summary has the critical path; --graph=dot
// renders with Graphviz and --graph=mermaid has every target and edge.
func TestIntegrationDemoTrace(t *testing.T) {
	e := sharedEngine(t)
	root := repoRoot(t)
	demo := *e
	dist := t.TempDir()
	demo.env = append(append([]string{}, e.env...), "DIST="+dist)
	file := filepath.Join(t.TempDir(), "trace.json")
	r := demo.bake(t, root, "--allow=fs.write="+dist, "--trace", file).mustSucceed(t)
	if !strings.Contains(r.out, "critical path ") || !strings.Contains(r.out, " steps cached") {
		t.Errorf("no critical path line in the summary:\n%s", tail(r.out, 20))
	}

	var f trace.File
	if err := json.Unmarshal([]byte(readFile(t, file)), &f); err != nil {
		t.Fatalf("--trace file is not JSON: %v", err)
	}
	threads := map[int]string{}
	for _, ev := range f.TraceEvents {
		if ev.Ph == "M" && ev.Name == "thread_name" {
			threads[ev.Tid] = ev.Args["name"].(string)
		}
	}
	seen := map[string]bool{}
	tracks := map[string]bool{}
	phases := map[string]bool{}
	for _, ev := range f.TraceEvents {
		if ev.Ph != "X" {
			continue
		}
		if ev.Dur < 0 || ev.Ts < 0 {
			t.Errorf("span %q on %s: ts %d dur %d", ev.Name, threads[ev.Tid], ev.Ts, ev.Dur)
		}
		if threads[ev.Tid] == "" {
			t.Errorf("span %q on an unnamed track %d", ev.Name, ev.Tid)
		}
		if ev.Cat == "kiln" {
			phases[ev.Name] = true
			continue
		}
		key := ev.Args["target"].(string) + " " + ev.Args["digest"].(string)
		if seen[key] {
			t.Errorf("vertex %s (%s) appears twice", key, ev.Name)
		}
		seen[key] = true
		tracks[ev.Args["track"].(string)] = true
		if ev.Args["status"] != "completed" && ev.Args["status"] != "cached" {
			t.Errorf("vertex %q of a successful run has status %v", ev.Name, ev.Args["status"])
		}
	}
	// web's stages run on the build platform only and its final stage is
	// FROM scratch, so both platforms share its steps: it has one track.
	if !tracks["web/linux/"+runtime.GOARCH] {
		t.Errorf("no track web/linux/%s; tracks %v", runtime.GOARCH, tracks)
	}
	for _, tgt := range []string{"base", "api", "tools", "worker-fast", "worker-thorough"} {
		for _, p := range []string{"linux/amd64", "linux/arm64"} {
			if !tracks[tgt+"/"+p] {
				t.Errorf("no track %s/%s; tracks %v", tgt, p, tracks)
			}
		}
	}
	for _, ph := range []string{trace.PhaseLoad, trace.PhaseSolve, trace.PhaseExport} {
		if !phases[ph] {
			t.Errorf("no kiln phase %q in the trace; phases %v", ph, phases)
		}
	}
	if len(seen) < 30 {
		t.Errorf("only %d vertices in the trace of the demo", len(seen))
	}

	graph := func(format string) string {
		var out bytes.Buffer
		cmd := demo.command(context.Background(), root, "bake", "--graph="+format)
		cmd.Stdout, cmd.Stderr = &out, os.Stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("kiln bake --graph=%s: %v", format, err)
		}
		return out.String()
	}
	dotText := graph("dot")
	if !strings.Contains(dotText, `"target:base" -> "target:api"`) || !strings.Contains(dotText, "succeeded in ") {
		t.Errorf("--graph=dot lacks the base → api edge or the last run:\n%s", dotText)
	}
	if _, err := exec.LookPath("dot"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("Graphviz dot is not installed (hack/install-deps.sh --test installs it)")
		}
		t.Log("Graphviz dot is not installed: the DOT text is not rendered (hack/install-deps.sh --test installs it)")
	} else {
		png := filepath.Join(t.TempDir(), "graph.png")
		cmd := exec.Command("dot", "-Tpng", "-o", png)
		cmd.Stdin = strings.NewReader(dotText)
		if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
			t.Fatalf("dot rejected --graph=dot (%v): %s\n%s", err, out, dotText)
		}
		if b := readFile(t, png); !strings.HasPrefix(b, "\x89PNG") {
			t.Errorf("dot did not write a PNG")
		}
	}
	mer := graph("mermaid")
	if !strings.HasPrefix(mer, "flowchart LR\n") || strings.Count(mer, " --> ") != 5 || !strings.Contains(mer, `["worker-thorough<br/>linux/amd64, linux/arm64<br/>succeeded in `) {
		t.Errorf("--graph=mermaid:\n%s", mer)
	}
}
