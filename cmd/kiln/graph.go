package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kiln-build/kiln/bake/graph"
	"github.com/kiln-build/kiln/builder/report"
	"github.com/kiln-build/kiln/builder/trace"
)

// graphDefinition prints the plan's target graph (--graph dot|mermaid),
// with the last run's statuses and durations when one is recorded.
func graphDefinition(ctx context.Context, o *bakeOptions) error {
	write := map[string]func(*os.File, graph.Graph) error{
		"dot":     func(f *os.File, g graph.Graph) error { return graph.WriteDOT(f, g) },
		"mermaid": func(f *os.File, g graph.Graph) error { return graph.WriteMermaid(f, g) },
	}[o.graph]
	if write == nil {
		return fmt.Errorf("invalid --graph format %q (want dot or mermaid)", o.graph)
	}
	plan, err := loadPlan(ctx, o)
	if err != nil {
		return err
	}
	last, err := graph.ReadLastRun(lastRunDir())
	if err != nil {
		fmt.Fprintf(os.Stderr, "WARNING: last run not shown: %v\n", err)
	}
	return write(os.Stdout, graph.FromPlan(plan, last))
}

// lastRunDir is where the last run of the bake project in the working
// directory is recorded: one directory per project (the working
// directory's path, hashed) under the user's cache directory
// ($XDG_CACHE_HOME/kiln/runs, ~/.cache/kiln/runs), so that projects do not
// replace each other's results and a kiln building on another --builder
// writes nothing to the engine state dir ($KILN_ROOT).
func lastRunDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	wd, _ := os.Getwd()
	sum := sha256.Sum256([]byte(wd))
	return filepath.Join(base, "kiln", "runs", hex.EncodeToString(sum[:8]))
}

// recordRun writes --trace and records the run's results for --graph
// (lastRunDir); not being able to record them only loses the annotation.
func recordRun(o *bakeOptions, rep *report.Report, loadStart, loadEnd time.Time) error {
	rec := rep.Trace()
	if rec == nil {
		return nil
	}
	rec.AddPhase("", trace.PhaseLoad, loadStart, loadEnd)
	last := &graph.LastRun{Targets: map[string]graph.Result{}}
	spans := map[string][2]time.Time{}
	for _, ph := range rec.Phases() {
		s, ok := spans[ph.Target]
		if !ok || ph.Start.Before(s[0]) {
			s[0] = ph.Start
		}
		if ph.End.After(s[1]) {
			s[1] = ph.End
		}
		spans[ph.Target] = s
	}
	for _, oc := range rep.Outcomes {
		s := spans[oc.Target]
		last.Targets[oc.Target] = graph.Result{Status: string(oc.Status), Seconds: s[1].Sub(s[0]).Seconds()}
	}
	if err := last.Write(lastRunDir()); err != nil {
		fmt.Fprintf(os.Stderr, "WARNING: last run not recorded for --graph: %v\n", err)
	}
	if o.trace == "" {
		return nil
	}
	f, err := os.Create(o.trace)
	if err != nil {
		return fmt.Errorf("--trace: %w", err)
	}
	if err := rec.WriteChrome(f); err != nil {
		f.Close()
		return fmt.Errorf("--trace: %w", err)
	}
	return f.Close()
}
