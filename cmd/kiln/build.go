package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/docker/buildx/util/buildflags"
	"github.com/kiln-build/kiln/bake"
	"github.com/kiln-build/kiln/builder"
	"github.com/moby/buildkit/client"
)

// buildDefinition builds the plan: it loads it as --print does, checks
// entitlements against --allow, translates each target into a solve, runs
// them on the node --builder names, and reports: call results on stdout,
// a summary on stderr, the metadata file, and the exit status.
func buildDefinition(ctx context.Context, o *bakeOptions) error {
	ex, err := builder.ParseJobs(o.jobs)
	if err != nil {
		return err
	}
	call, err := buildflags.ParseCallFunc(o.call)
	if err != nil {
		return err
	}
	if modes := builder.ProgressModes(); !slices.Contains(modes, o.progress) {
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
	reqs, err := translatePlan(plan)
	if err != nil {
		return err
	}
	if len(reqs) == 0 && o.affectedSince != "" {
		// nothing to build (the affected check said so): no engine is started
		if o.metadataFile != "" {
			return builder.WriteMetadataFile(o.metadataFile, &builder.Report{})
		}
		return nil
	}
	if err := builder.CheckOutputs(reqs, o.metadataFile); err != nil {
		return err
	}
	builder.AddGitInfo(ctx, reqs, os.LookupEnv)
	node, err := o.openNode(ctx) // already open when a remote definition was read on it
	if err != nil {
		return err
	}
	defer o.closeNode()
	if err := builder.ResolveHostGateway(ctx, node, reqs); err != nil {
		return err
	}
	if w := builder.NoOutputWarning(reqs, node.Name()); w != "" {
		fmt.Fprintf(os.Stderr, "WARNING: %s\n", w)
	}
	ro := builder.RunOptions{
		Exec:        ex,
		Progress:    o.progress,
		ProgressOut: os.Stderr,
		Stdout:      os.Stdout,
		DockerHost:  os.Getenv("DOCKER_HOST"),
	}
	if o.metadataFile != "" {
		ro.MetadataProvenance = builder.MetadataProvenance(os.LookupEnv)
		ro.MetadataWarnings = call == nil && builder.MetadataWarningsEnabled(os.LookupEnv)
	}
	if ro.SourcePolicy, err = builder.ReadSourcePolicy(os.LookupEnv); err != nil {
		return err
	}
	rep, err := builder.Run(ctx, node, reqs, ro)
	if err != nil {
		return err
	}
	if err := recordRun(o, rep, loadStart, loadEnd); err != nil {
		return err
	}
	quiet := o.progress == "quiet" || o.progress == "rawjson" || o.progress == "none"
	if !quiet {
		printWarnings(os.Stderr, rep.Warnings)
	}
	// buildx writes the metadata file only for a successful run, or for
	// every finished target under defer-error.
	if o.metadataFile != "" && (!rep.Failed() || ex.Mode == builder.DeferError) {
		if err := builder.WriteMetadataFile(o.metadataFile, rep); err != nil {
			return fmt.Errorf("--metadata-file: %w", err)
		}
	}
	code := 0
	if !rep.Failed() { // as buildx: results only when every target ran
		code = builder.PrintCallResults(os.Stdout, rep, plan, call)
		for _, oc := range rep.Outcomes {
			if v, ok := oc.Response["frontend.result.inlinemessage"]; ok {
				fmt.Fprintf(os.Stdout, "\n# %s\n%s\n", oc.Target, v)
			}
		}
	}
	if !quiet || rep.Failed() {
		builder.PrintSummary(os.Stderr, rep, node.Name())
	}
	if rep.Failed() {
		return exitError{1}
	}
	if code != 0 {
		return exitError{code}
	}
	return nil
}

// translatePlan turns every planned target into a solve request, in name
// order; relative paths start from the working directory, as in buildx.
func translatePlan(plan *bake.Plan) ([]*builder.Request, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	var reqs []*builder.Request
	to := builder.Options{Dir: wd, LookupEnv: os.LookupEnv, ProxyArgs: builder.ProxyArgs(os.LookupEnv), NodeID: builder.NodeID(os.LookupEnv)}
	for _, name := range slices.Sorted(maps.Keys(plan.Targets)) {
		r, err := builder.Translate(name, plan.Targets[name], to)
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
	}
	return reqs, nil
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
