// Package request is what a solve is, as data: Translate turns a planned
// bake target (Target, filled by the caller from the bake model) into a
// Request without touching BuildKit, from translation inputs computed once
// per run (Options: proxy args, buildx's node id, the Git checkout per
// context directory). A Request is not changed after translation; what
// only a node can tell (host-gateway, the Docker engine's image store)
// is applied by the solve. CheckOutputs checks a run's requests before
// anything is built.
package request

import (
	"github.com/docker/buildx/util/buildflags"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
)

// Request is one target's solve as plain data: what kiln asks BuildKit for.
// Translate produces it from a bake target without touching BuildKit;
// the runner turns it into a client.SolveOpt (sessions, files, writers).
type Request struct {
	// Target is the bake target's name.
	Target string
	// Frontend is "dockerfile.v0", or "gateway.v0" with BUILDKIT_SYNTAX.
	Frontend string
	// Attrs are the frontend attributes (build-arg:*, platform, target, ...).
	Attrs map[string]string
	// Locals maps a local mount name ("context", "dockerfile", named
	// contexts) to the directory on this machine it is read from.
	Locals map[string]string
	// DockerfileInline, when set, is served as the "dockerfile" mount.
	DockerfileInline string
	// DockerfileSource names the Dockerfile in messages as the user wrote
	// it (context joined with dockerfile, or "inline"), as buildx does.
	DockerfileSource string
	// OCIStores maps a store id used in an oci-layout:// context to the
	// OCI layout directory on this machine.
	OCIStores map[string]string
	// Inputs are LLB states given to the frontend by name: the folders of
	// a remote definition's source used as contexts.
	Inputs map[string]llb.State
	// Deps maps a named context to the target whose result it is
	// (contexts = { name = "target:NAME" }).
	Deps map[string]string
	// Exports are the outputs, cacheonly removed.
	Exports []Export
	// NoOutput is true when the target names no output at all (buildx then
	// warns that the result only stays in the build cache).
	NoOutput bool
	// CacheImports and CacheExports are cache-from and cache-to.
	CacheImports []client.CacheOptionsEntry
	CacheExports []client.CacheOptionsEntry
	// Entitlements the solve asks BuildKit to allow.
	Entitlements []string
	// Secrets and SSH are exposed to the build through the session.
	Secrets []*buildflags.Secret
	SSH     []*buildflags.SSH
	// Policy is the target's Rego build policy setup (policy.go).
	Policy *PolicySpec
	// Call is the subrequest (outline, targets, lint) instead of a build.
	Call *buildflags.CallFunc
}

// Export is one output of a target.
type Export struct {
	// Type is the BuildKit exporter: local, tar, oci, docker, image.
	Type  string
	Attrs map[string]string
	// Dir is the destination directory (local, or oci/docker with tar=false).
	Dir string
	// File is the destination file of a tarball ("-" is standard output).
	File string
	// Load streams a docker tarball into a Docker engine (type=docker, no dest).
	Load bool
}

// Push reports whether the export pushes to a registry.
func (e Export) Push() bool {
	return e.Type == client.ExporterImage && isTrue(e.Attrs["push"])
}

// Pushes reports whether any output of the request pushes to a registry.
func (r *Request) Pushes() bool {
	for _, e := range r.Exports {
		if e.Push() {
			return true
		}
	}
	return false
}
