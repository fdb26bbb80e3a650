// Package bake holds kiln's definition model: the groups and targets a bake
// file declares, their JSON (identical to `docker buildx bake --print`), file
// merging, inheritance, --set overrides, and the Plan of what to build.
package bake

import (
	"github.com/docker/buildx/util/buildflags"
	"github.com/hashicorp/hcl/v2"
	"github.com/kiln-build/kiln/hclspec"
)

// Config is what the bake files declare, before inheritance and overrides.
// hclspec decodes HCL and HCL-JSON bodies into it through the hcl/cty tags,
// which mirror buildx's so that `target.NAME.ATTR` references see the same
// attribute names and types as in buildx.
type Config struct {
	Groups  []*Group  `json:"group" hcl:"group,block" cty:"group"`
	Targets []*Target `json:"target" hcl:"target,block" cty:"target"`

	// The parsed HCL files and the matrix renames of targets, for pointing
	// a warning at the user's text.
	sources []*hcl.File
	renamed map[string][]string
	// decls are where each block instance was declared (hclspec.Meta.Decls).
	decls map[string]map[string][]hclspec.Decl
}

// Group names a set of targets (and other groups).
type Group struct {
	Name        string   `json:"-" hcl:"name,label" cty:"name"`
	Description string   `json:"description,omitempty" hcl:"description,optional" cty:"description"`
	Targets     []string `json:"targets" hcl:"targets" cty:"targets"`
}

// Target is one build: every attribute of the bake file reference.
// Pointer fields distinguish "unset" from the zero value, which matters for
// inheritance and for what --print shows.
type Target struct {
	Name        string `json:"-" hcl:"name,label" cty:"name"`
	Description string `json:"description,omitempty" hcl:"description,optional" cty:"description"`

	// Inherits is the only field that cannot be overridden with --set.
	Inherits []string `json:"inherits,omitempty" hcl:"inherits,optional" cty:"inherits"`

	Annotations      []string                    `json:"annotations,omitempty" hcl:"annotations,optional" cty:"annotations"`
	Attest           buildflags.Attests          `json:"attest,omitempty" hcl:"attest,optional" cty:"attest"`
	Context          *string                     `json:"context,omitempty" hcl:"context,optional" cty:"context"`
	Contexts         map[string]string           `json:"contexts,omitempty" hcl:"contexts,optional" cty:"contexts"`
	Dockerfile       *string                     `json:"dockerfile,omitempty" hcl:"dockerfile,optional" cty:"dockerfile"`
	DockerfileInline *string                     `json:"dockerfile-inline,omitempty" hcl:"dockerfile-inline,optional" cty:"dockerfile-inline"`
	Args             map[string]*string          `json:"args,omitempty" hcl:"args,optional" cty:"args"`
	Labels           map[string]*string          `json:"labels,omitempty" hcl:"labels,optional" cty:"labels"`
	Tags             []string                    `json:"tags,omitempty" hcl:"tags,optional" cty:"tags"`
	CacheFrom        buildflags.CacheOptions     `json:"cache-from,omitempty" hcl:"cache-from,optional" cty:"cache-from"`
	CacheTo          buildflags.CacheOptions     `json:"cache-to,omitempty" hcl:"cache-to,optional" cty:"cache-to"`
	Target           *string                     `json:"target,omitempty" hcl:"target,optional" cty:"target"`
	Secrets          buildflags.Secrets          `json:"secret,omitempty" hcl:"secret,optional" cty:"secret"`
	SSH              buildflags.SSHKeys          `json:"ssh,omitempty" hcl:"ssh,optional" cty:"ssh"`
	Platforms        []string                    `json:"platforms,omitempty" hcl:"platforms,optional" cty:"platforms"`
	Outputs          buildflags.Exports          `json:"output,omitempty" hcl:"output,optional" cty:"output"`
	Pull             *bool                       `json:"pull,omitempty" hcl:"pull,optional" cty:"pull"`
	NoCache          *bool                       `json:"no-cache,omitempty" hcl:"no-cache,optional" cty:"no-cache"`
	NetworkMode      *string                     `json:"network,omitempty" hcl:"network,optional" cty:"network"`
	NoCacheFilter    []string                    `json:"no-cache-filter,omitempty" hcl:"no-cache-filter,optional" cty:"no-cache-filter"`
	ShmSize          *string                     `json:"shm-size,omitempty" hcl:"shm-size,optional" cty:"shm-size"`
	Ulimits          []string                    `json:"ulimits,omitempty" hcl:"ulimits,optional" cty:"ulimits"`
	Resources        *buildflags.ResourcesConfig `json:"resources,omitempty" hcl:"resources,optional" cty:"resources"`
	Call             *string                     `json:"call,omitempty" hcl:"call,optional" cty:"call"`
	Entitlements     []string                    `json:"entitlements,omitempty" hcl:"entitlements,optional" cty:"entitlements"`
	ExtraHosts       map[string]*string          `json:"extra-hosts,omitempty" hcl:"extra-hosts,optional" cty:"extra-hosts"`
	Policy           buildflags.PolicyConfigs    `json:"policy,omitempty" hcl:"policy,optional" cty:"policy"`

	// linked marks a target that is built only because another target
	// references it through a `target:` context (its output is cacheonly).
	linked bool

	// Where relative paths are resolved from when
	// BUILDX_BAKE_FILE_RELATIVE_PATHS is on (see relpaths.go).
	paths pathBases

	// grants are the privileges --set asked for on the command line,
	// which buildx grants without --allow (see entitlements.go).
	grants overrideGrants

	// remote is where the contexts of a remote definition's target come
	// from (remote.go); nil for local definitions.
	remote *remoteContexts
	// sshDefault: a build forwards the default SSH agent (SSHAgents).
	sshDefault bool
}

// Linked reports whether the target is in a Plan only because another
// target names it in a `target:` context.
func (t *Target) Linked() bool { return t.linked }
