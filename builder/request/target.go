package request

import (
	"github.com/docker/buildx/util/buildflags"
	"github.com/moby/buildkit/client/llb"
)

// Target is what Translate reads of a planned bake target: the target's
// attributes after inheritance, overrides and defaults. It is a copy of
// the build-relevant fields of bake.Target (same names, same JSON keys) so
// that the builder does not import bake, and through it HCL and
// compose-go; cmd/kiln fills it from the plan.
type Target struct {
	Annotations      []string                    `json:"annotations,omitempty"`
	Attest           buildflags.Attests          `json:"attest,omitempty"`
	Context          *string                     `json:"context,omitempty"`
	Contexts         map[string]string           `json:"contexts,omitempty"`
	Dockerfile       *string                     `json:"dockerfile,omitempty"`
	DockerfileInline *string                     `json:"dockerfile-inline,omitempty"`
	Args             map[string]*string          `json:"args,omitempty"`
	Labels           map[string]*string          `json:"labels,omitempty"`
	Tags             []string                    `json:"tags,omitempty"`
	CacheFrom        buildflags.CacheOptions     `json:"cache-from,omitempty"`
	CacheTo          buildflags.CacheOptions     `json:"cache-to,omitempty"`
	Target           *string                     `json:"target,omitempty"`
	Secrets          buildflags.Secrets          `json:"secret,omitempty"`
	SSH              buildflags.SSHKeys          `json:"ssh,omitempty"`
	Platforms        []string                    `json:"platforms,omitempty"`
	Outputs          buildflags.Exports          `json:"output,omitempty"`
	Pull             *bool                       `json:"pull,omitempty"`
	NoCache          *bool                       `json:"no-cache,omitempty"`
	NetworkMode      *string                     `json:"network,omitempty"`
	NoCacheFilter    []string                    `json:"no-cache-filter,omitempty"`
	ShmSize          *string                     `json:"shm-size,omitempty"`
	Ulimits          []string                    `json:"ulimits,omitempty"`
	Resources        *buildflags.ResourcesConfig `json:"resources,omitempty"`
	Call             *string                     `json:"call,omitempty"`
	Entitlements     []string                    `json:"entitlements,omitempty"`
	ExtraHosts       map[string]*string          `json:"extra-hosts,omitempty"`
	Policy           buildflags.PolicyConfigs    `json:"policy,omitempty"`

	// Remote is what a target of a remote bake definition reads from the
	// definition's source (nil for a local definition). bake derives it
	// when it loads the definition; it is never printed.
	Remote *Remote `json:"-"`
}

// Remote is the part of a remote definition's target that does not read
// what the target's attributes say literally (buildx's updateContext).
type Remote struct {
	// Context is the folder of the remote source the build context is;
	// nil when the context is a URL or a local path.
	Context *llb.State
	// Named are the named contexts taken from the remote source.
	Named map[string]NamedContext
	// Secrets are the Git credentials of the definition's host, given to
	// a build whose context is on that host.
	Secrets buildflags.Secrets
}

// NamedContext is a named context of a remote definition's target: State,
// when set, is a folder of the remote source; Path is the URL it stands for.
type NamedContext struct {
	State *llb.State
	Path  string
}

// ContextState is the remote source folder the build context is, or nil.
func (t *Target) ContextState() *llb.State {
	if t.Remote == nil {
		return nil
	}
	return t.Remote.Context
}

// RemoteNamedContext returns how named context name is read when it is
// taken from the remote source rather than as written in Contexts.
func (t *Target) RemoteNamedContext(name string) (NamedContext, bool) {
	if t.Remote == nil {
		return NamedContext{}, false
	}
	nc, ok := t.Remote.Named[name]
	return nc, ok
}

// RemoteSecrets are the Git credentials a remote definition's target gets
// besides its own secrets.
func (t *Target) RemoteSecrets() buildflags.Secrets {
	if t.Remote == nil {
		return nil
	}
	return t.Remote.Secrets
}
