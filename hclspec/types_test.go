package hclspec

import (
	"github.com/docker/buildx/util/buildflags"
)

// testConfig mirrors bake.Config so hclspec's tests do not depend on bake.
type testConfig struct {
	Groups  []*testGroup  `json:"group" hcl:"group,block" cty:"group"`
	Targets []*testTarget `json:"target" hcl:"target,block" cty:"target"`
}

type testGroup struct {
	Name        string   `json:"-" hcl:"name,label" cty:"name"`
	Description string   `json:"description,omitempty" hcl:"description,optional" cty:"description"`
	Targets     []string `json:"targets" hcl:"targets" cty:"targets"`
}

type testTarget struct {
	Name        string                      `json:"-" hcl:"name,label" cty:"name"`
	Description string                      `json:"description,omitempty" hcl:"description,optional" cty:"description"`
	Inherits    []string                    `json:"inherits,omitempty" hcl:"inherits,optional" cty:"inherits"`
	Context     *string                     `json:"context,omitempty" hcl:"context,optional" cty:"context"`
	Dockerfile  *string                     `json:"dockerfile,omitempty" hcl:"dockerfile,optional" cty:"dockerfile"`
	Args        map[string]*string          `json:"args,omitempty" hcl:"args,optional" cty:"args"`
	Tags        []string                    `json:"tags,omitempty" hcl:"tags,optional" cty:"tags"`
	Platforms   []string                    `json:"platforms,omitempty" hcl:"platforms,optional" cty:"platforms"`
	CacheFrom   buildflags.CacheOptions     `json:"cache-from,omitempty" hcl:"cache-from,optional" cty:"cache-from"`
	Outputs     buildflags.Exports          `json:"output,omitempty" hcl:"output,optional" cty:"output"`
	Secrets     buildflags.Secrets          `json:"secret,omitempty" hcl:"secret,optional" cty:"secret"`
	Pull        *bool                       `json:"pull,omitempty" hcl:"pull,optional" cty:"pull"`
	Resources   *buildflags.ResourcesConfig `json:"resources,omitempty" hcl:"resources,optional" cty:"resources"`
}
