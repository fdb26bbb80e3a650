package request

import "github.com/docker/buildx/util/buildflags"

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
}
