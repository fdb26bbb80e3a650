package builder

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	spb "github.com/moby/buildkit/sourcepolicy/pb"
)

// RunOptions are the settings of one run of several targets on a node.
type RunOptions struct {
	Exec Execution
	// Progress is the display mode (ProgressModes), written to ProgressOut.
	Progress    string
	ProgressOut io.Writer
	// Stdout receives tarball outputs with dest=- (or no dest).
	Stdout io.Writer
	// DockerHost is the Docker engine --load writes to ("" is DefaultDockerHost).
	DockerHost string
	// Auth answers registry credential requests; nil reads the Docker
	// config file (~/.docker/config.json, $DOCKER_CONFIG) and its helpers.
	Auth session.Attachable
	// SourcePolicy applies to every solve (ReadSourcePolicy); nil for none.
	SourcePolicy *spb.Policy
	// MetadataProvenance is the buildx.build.provenance mode for the
	// metadata (MetadataProvenance(); "" or "disabled": none).
	MetadataProvenance string
	// MetadataWarnings puts the run's warnings in the metadata as
	// buildx.build.warnings (MetadataWarningsEnabled).
	MetadataWarnings bool
	// NodeDeadline is how long a remote node may leave the liveness probe
	// unanswered before its solves fail (0: $KILN_NODE_DEADLINE, else
	// DefaultNodeDeadline). The embedded engine is not probed.
	NodeDeadline time.Duration
}

// Report is how a run ended.
type Report struct {
	Outcomes []Outcome
	Warnings []client.VertexWarning
	progress *Progress
	// metadataWarnings is RunOptions.MetadataWarnings.
	metadataWarnings bool
	// Requests are the run's requests, by target.
	Requests map[string]*Request
}

// Failed reports whether any target did not succeed.
func (r *Report) Failed() bool {
	return slices.ContainsFunc(r.Outcomes, func(o Outcome) bool { return o.Status != Succeeded })
}

// FailedStep is the name and log tail of the step that failed target.
func (r *Report) FailedStep(target string) (string, []string) {
	if r.progress == nil {
		return "", nil
	}
	return r.progress.FailedStep(target)
}

// Run solves the requests on node as o.Exec says, all in one progress
// display, and reports each target's outcome. The error is for a run that
// could not start; failed targets are in the report.
func Run(ctx context.Context, node Node, reqs []*Request, o RunOptions) (*Report, error) {
	deadline := o.NodeDeadline
	if deadline <= 0 {
		var err error
		if deadline, err = nodeDeadline(); err != nil {
			return nil, err
		}
	}
	env := &runEnv{stdout: o.Stdout, auth: o.Auth, provenance: o.MetadataProvenance, policy: o.SourcePolicy}
	if env.stdout == nil {
		env.stdout = os.Stdout
	}
	if env.auth == nil {
		env.auth = authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
			AuthConfigProvider: authprovider.LoadAuthConfig(config.LoadDefaultConfigFile(io.Discard)),
		})
	}
	if needsDocker(reqs) {
		d, err := newDockerEngine(o.DockerHost)
		if err != nil {
			return nil, err
		}
		if err := d.ping(ctx); err != nil {
			return nil, err
		}
		if err := d.prepareLoads(ctx, reqs); err != nil {
			return nil, err
		}
		env.docker = d
	}
	shared, err := newSharedLocals(ctx, reqs)
	if err != nil {
		return nil, err
	}
	defer shared.close()
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	shared.run(sctx, node.Client())
	env.shared = shared

	out := o.ProgressOut
	if out == nil {
		out = os.Stderr
	}
	mode := o.Progress
	if mode == "" {
		mode = "auto"
	}
	p, err := NewProgress(ctx, out, mode, len(reqs) > 1)
	if err != nil {
		return nil, err
	}
	var solver Solver = &nodeSolver{node: node, env: env, progress: p}
	wctx, stopWatch := context.WithCancel(ctx)
	if _, local := node.(embeddedNode); !local {
		w := newWatchdog(node, deadline)
		go w.run(wctx)
		solver = w.watch(solver)
	}
	outcomes := Schedule{Solver: solver, Exec: o.Exec}.Run(ctx, reqs)
	stopWatch()
	warns, _ := p.Wait()
	rep := &Report{Outcomes: outcomes, Warnings: warns, progress: p, Requests: map[string]*Request{}, metadataWarnings: o.MetadataWarnings}
	for _, r := range reqs {
		rep.Requests[r.Target] = r
	}
	explainFailures(ctx, node, rep)
	return rep, nil
}

func needsDocker(reqs []*Request) bool {
	for _, r := range reqs {
		for _, e := range r.Exports {
			if e.Load {
				return true
			}
		}
	}
	return false
}

// NoOutputWarning is buildx's warning for targets that export nothing,
// or "" when every target has an output.
func NoOutputWarning(reqs []*Request, node string) string {
	var names []string
	for _, r := range reqs {
		if r.NoOutput && r.Call == nil {
			names = append(names, r.Target)
		}
	}
	if len(names) == 0 {
		return ""
	}
	slices.Sort(names)
	what := fmt.Sprintf("for %s target(s) with %s builder", strings.Join(names, ", "), node)
	if len(names) == 1 && names[0] == "default" {
		what = fmt.Sprintf("with %s builder", node)
	}
	return "No output specified " + what + ". Build result will only remain in the build cache. To push result image into registry use --push or to load image into docker use --load"
}
