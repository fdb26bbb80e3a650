// Package solve runs one request on one node: it turns a Request into a
// BuildKit SolveOpt (sessions, local uploads shared across targets,
// secrets, SSH, registry auth, policies, cache, exports), solves it
// through the gateway API so that dependents can use the result before it
// is exported, writes the outputs all-or-nothing, streams --load into a
// Docker engine, and records provenance for the metadata file. New is the
// schedule.Solver of a node.
package solve

import (
	"context"
	"io"
	"os"

	"github.com/docker/cli/cli/config"
	"github.com/kiln-build/kiln/builder/node"
	"github.com/kiln-build/kiln/builder/progress"
	"github.com/kiln-build/kiln/builder/request"
	"github.com/moby/buildkit/identity"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	spb "github.com/moby/buildkit/sourcepolicy/pb"
)

// Env are the settings the solves of one run share.
type Env struct {
	// Stdout receives tarball outputs with dest=- (or no dest); nil is os.Stdout.
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
	// HostGatewayIP replaces host-gateway in extra hosts (node.HostGatewayIP).
	HostGatewayIP string
}

// runEnv is what the solves of one run share, resolved.
type runEnv struct {
	stdout io.Writer
	docker *dockerEngine
	auth   session.Attachable
	shared *sharedLocals
	// provenance is the metadata provenance mode ("" or "disabled": none).
	provenance string
	// policy is the source policy every solve gets.
	policy        *spb.Policy
	hostGatewayIP string
}

func (e *runEnv) ref(string) string { return identity.NewID() }

func (e *runEnv) sharedSession(name, dir string) string { return e.shared.id(name, dir) }

// New is the Solver of reqs on n: it reaches the Docker engine when a
// request loads into it, and starts the sessions that upload local
// directories shared by several requests once for all. Close ends them.
func New(ctx context.Context, n node.Node, reqs []*request.Request, e Env) (*Solver, error) {
	env := &runEnv{stdout: e.Stdout, auth: e.Auth, provenance: e.MetadataProvenance, policy: e.SourcePolicy, hostGatewayIP: e.HostGatewayIP}
	if env.stdout == nil {
		env.stdout = os.Stdout
	}
	if env.auth == nil {
		env.auth = authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
			AuthConfigProvider: authprovider.LoadAuthConfig(config.LoadDefaultConfigFile(io.Discard)),
		})
	}
	if needsDocker(reqs) {
		d, err := newDockerEngine(e.DockerHost)
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
	sctx, stop := context.WithCancel(ctx)
	shared.run(sctx, n.Client())
	env.shared = shared
	return &Solver{node: n, env: env, stop: func() { stop(); shared.close() }}, nil
}

// WithProgress is s reporting its solves to p, the run's display. It is
// apart from New so that the display starts only once the run can.
func (s *Solver) WithProgress(p *progress.Progress) *Solver {
	c := *s
	c.progress = p
	return &c
}

// WithNodeLabels is s naming, in the display, each solve's platform and
// node beside its target ("[api linux/arm64@b] RUN make"): a run over
// several nodes.
func (s *Solver) WithNodeLabels(node string) *Solver {
	c := *s
	c.label = node
	return &c
}

// Close ends the shared upload sessions.
func (s *Solver) Close() { s.stop() }

func needsDocker(reqs []*request.Request) bool {
	for _, r := range reqs {
		for _, e := range r.Exports {
			if e.Load {
				return true
			}
		}
	}
	return false
}
