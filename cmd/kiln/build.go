package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/docker/buildx/util/buildflags"
	"github.com/kiln-build/kiln/bake"
	"github.com/kiln-build/kiln/builder/node"
	"github.com/kiln-build/kiln/builder/progress"
	"github.com/kiln-build/kiln/builder/report"
	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
	"github.com/kiln-build/kiln/builder/solve"
	"github.com/moby/buildkit/client"
)

// buildDefinition builds the plan: it loads it as --print does, checks
// entitlements against --allow, translates each target into a solve, runs
// them on the node --builder names, and reports: call results on stdout,
// a summary on stderr, the metadata file, and the exit status.
func buildDefinition(ctx context.Context, o *bakeOptions) error {
	ex, err := schedule.ParseJobs(o.jobs)
	if err != nil {
		return err
	}
	call, err := buildflags.ParseCallFunc(o.call)
	if err != nil {
		return err
	}
	if modes := progress.Modes(); !slices.Contains(modes, o.progress) {
		return fmt.Errorf("invalid progress mode %q (want one of %v)", o.progress, modes)
	}
	loadStart := time.Now()
	plan, err := loadPlan(ctx, o)
	if err != nil {
		return err
	}
	loadEnd := time.Now()
	if err := checkEntitlements(ctx, plan, o); err != nil {
		return err
	}
	reqs, err := translatePlan(ctx, plan)
	if err != nil {
		return err
	}
	if len(reqs) == 0 && o.affectedSince != "" {
		// nothing to build (the affected check said so): no engine is started
		if o.metadataFile != "" {
			return report.WriteMetadataFile(o.metadataFile, &report.Report{})
		}
		return nil
	}
	if err := request.CheckOutputs(reqs, o.metadataFile); err != nil {
		return err
	}
	// which nodes: a pool file's mistakes are reported even when nothing is to build
	p, err := bakePool(o, os.LookupEnv)
	if err != nil {
		return err
	}
	// the up-to-date check, before any engine is contacted (skip.go)
	sk := newSkipRun(ctx, o, plan, reqs, runIdentity(o, p))
	run := sk.plan(reqs)
	if len(run) == 0 {
		return reportUpToDate(ctx, o, p, sk, plan, reqs, ex, call)
	}
	if err := sk.forget(); err != nil {
		return err
	}
	defer o.closeNode() // open when a remote definition was read on it, or when built on
	var rep *report.Report
	var pr *poolRun // a run over a pool (more than one node, or a pool's settings)
	where := ""
	if p == nil {
		n, err := o.openNode(ctx)
		if err != nil {
			return err
		}
		where = n.Name()
		// buildx's warning names every target without an output, built or not
		if w := report.NoOutputWarning(reqs, where); w != "" {
			fmt.Fprintf(os.Stderr, "WARNING: %s\n", w)
		}
		if rep, err = runPlan(ctx, n, run, ex, o, call); err != nil {
			return err
		}
	} else {
		// the node a remote definition was read on is let go: the pool
		// opens its nodes itself (an embedded one cannot be opened twice)
		o.closeNode()
		if rep, pr, err = runOnPool(ctx, p, run, reqs, ex, o, call); err != nil {
			return err
		}
		where = pr.name()
		writePlacements(readPlacements(), pr.solver.Placements(), rep)
	}
	sk.record(ctx, rep, reqs)
	return finishRun(o, rep, ex, plan, call, where, pr, loadStart, loadEnd)
}

// finishRun reports a run: --trace and the last-run record, warnings,
// the metadata file, call results, the summary and the exit status.
// pr is the pool of a run over one (nil for one node).
func finishRun(o *bakeOptions, rep *report.Report, ex schedule.Execution, plan *bake.Plan, call *buildflags.CallFunc, nodeName string, pr *poolRun, loadStart, loadEnd time.Time) error {
	if err := recordRun(o, rep, loadStart, loadEnd); err != nil {
		return err
	}
	quiet := o.progress == "quiet" || o.progress == "rawjson" || o.progress == "none"
	if !quiet {
		printWarnings(os.Stderr, rep.Warnings)
	}
	// buildx writes the metadata file only for a successful run, or for
	// every finished target under defer-error.
	if o.metadataFile != "" && (!rep.Failed() || ex.Mode == schedule.DeferError) {
		if err := report.WriteMetadataFile(o.metadataFile, rep); err != nil {
			return fmt.Errorf("--metadata-file: %w", err)
		}
	}
	code := 0
	if !rep.Failed() { // as buildx: results only when every target ran
		code = report.PrintCallResults(os.Stdout, rep, callPlan(plan), call)
		for _, oc := range rep.Outcomes {
			if v, ok := oc.Response["frontend.result.inlinemessage"]; ok {
				fmt.Fprintf(os.Stdout, "\n# %s\n%s\n", oc.Target, v)
			}
		}
	}
	tagsFailed := pr != nil && len(pr.tagErrs) > 0
	if !quiet || rep.Failed() || tagsFailed {
		report.PrintSummary(os.Stderr, rep, nodeName)
		if pr != nil {
			printPoolSummary(os.Stderr, rep, pr)
		}
	}
	if rep.Failed() || tagsFailed {
		return exitError{1}
	}
	if code != 0 {
		return exitError{code}
	}
	return nil
}

// runPlan solves the requests on n, composing the chain: the node's solver,
// its liveness watchdog (a remote node), the --jobs bound, the schedule;
// then the report, failures explained.
func runPlan(ctx context.Context, n node.Node, reqs []*request.Request, ex schedule.Execution, o *bakeOptions, call *buildflags.CallFunc) (*report.Report, error) {
	env, deadline, err := solveEnv(ctx, n, reqs, o)
	if err != nil {
		return nil, err
	}
	ns, err := solve.New(ctx, n, reqs, env)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	p, err := progress.New(ctx, os.Stderr, o.progress, len(reqs) > 1)
	if err != nil {
		return nil, err
	}
	solver, unwatch := schedule.Solver(ns.WithProgress(p)), func() {}
	if !node.Embedded(n) { // the embedded engine cannot stop answering
		solver, unwatch = node.Watch(ctx, n, deadline, solver)
	}
	outcomes := schedule.Schedule{Solver: schedule.Limit(solver, ex.Bound()), Exec: ex}.Run(ctx, reqs)
	unwatch()
	rep := report.New(p, reqs, outcomes)
	rep.MetadataWarnings = o.metadataFile != "" && call == nil && report.MetadataWarningsEnabled(os.LookupEnv)
	report.ExplainFailures(ctx, n, rep)
	return rep, nil
}

// solveEnv is what the solves of a run share, and the remote nodes'
// liveness deadline; n resolves host-gateway.
func solveEnv(ctx context.Context, n node.Node, reqs []*request.Request, o *bakeOptions) (solve.Env, time.Duration, error) {
	env := solve.Env{Stdout: os.Stdout, DockerHost: os.Getenv("DOCKER_HOST")}
	var err error
	if env.HostGatewayIP, err = node.HostGatewayIP(ctx, n, reqs); err != nil {
		return env, 0, err
	}
	if o.metadataFile != "" {
		env.MetadataProvenance = solve.MetadataProvenance(os.LookupEnv)
	}
	if env.SourcePolicy, err = solve.ReadSourcePolicy(os.LookupEnv); err != nil {
		return env, 0, err
	}
	deadline, err := node.Deadline()
	return env, deadline, err
}

// printWarnings lists the build warnings BuildKit reported, as buildx does
// after its progress display.
func printWarnings(w io.Writer, warns []client.VertexWarning) {
	if len(warns) == 0 {
		return
	}
	if len(warns) == 1 {
		fmt.Fprintf(w, "\n 1 warning found:\n")
	} else {
		fmt.Fprintf(w, "\n %d warnings found:\n", len(warns))
	}
	for _, wn := range warns {
		fmt.Fprintf(w, " - %s\n", wn.Short)
	}
}
