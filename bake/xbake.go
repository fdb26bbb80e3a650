package bake

import (
	"slices"
	"strings"

	"github.com/docker/buildx/util/buildflags"
	"go.yaml.in/yaml/v3"
)

// xbake is the `x-bake` extension of a compose build section: bake fields
// compose has no spelling for.
type xbake struct {
	Tags          stringArray       `yaml:"tags,omitempty"`
	CacheFrom     stringArray       `yaml:"cache-from,omitempty"`
	CacheTo       stringArray       `yaml:"cache-to,omitempty"`
	Secrets       stringArray       `yaml:"secret,omitempty"`
	SSH           stringArray       `yaml:"ssh,omitempty"`
	Platforms     stringArray       `yaml:"platforms,omitempty"`
	Outputs       stringArray       `yaml:"output,omitempty"`
	Pull          *bool             `yaml:"pull,omitempty"`
	NoCache       *bool             `yaml:"no-cache,omitempty"`
	NoCacheFilter stringArray       `yaml:"no-cache-filter,omitempty"`
	Contexts      map[string]string `yaml:"contexts,omitempty"`
}

// stringArray accepts a list or a single space-separated string.
type stringArray []string

func (sa *stringArray) UnmarshalYAML(unmarshal func(any) error) error {
	var multi []string
	if err := unmarshal(&multi); err != nil {
		var single string
		if err := unmarshal(&single); err != nil {
			return err
		}
		*sa = strings.Fields(single)
		return nil
	}
	*sa = multi
	return nil
}

func (t *Target) applyXBake(exts map[string]any) error {
	ext, ok := exts["x-bake"]
	if !ok || ext == nil {
		return nil
	}
	var xb xbake
	yb, _ := yaml.Marshal(ext)
	if err := yaml.Unmarshal(yb, &xb); err != nil {
		return err
	}
	if len(xb.Tags) > 0 {
		t.Tags = dedupStrings(append(t.Tags, xb.Tags...))
	}
	if len(xb.CacheFrom) > 0 {
		v, err := buildflags.ParseCacheEntry(xb.CacheFrom)
		if err != nil {
			return err
		}
		t.CacheFrom = t.CacheFrom.Merge(v)
	}
	if len(xb.CacheTo) > 0 {
		v, err := buildflags.ParseCacheEntry(xb.CacheTo)
		if err != nil {
			return err
		}
		t.CacheTo = t.CacheTo.Merge(v)
	}
	if len(xb.Secrets) > 0 {
		v, err := parseArrValue[buildflags.Secret](xb.Secrets)
		if err != nil {
			return err
		}
		t.Secrets = t.Secrets.Merge(v)
	}
	if len(xb.SSH) > 0 {
		v, err := parseArrValue[buildflags.SSH](xb.SSH)
		if err != nil {
			return err
		}
		t.SSH = t.SSH.Merge(v)
		slices.SortFunc(t.SSH, func(a, b *buildflags.SSH) int { return a.Less(b) })
	}
	if len(xb.Platforms) > 0 {
		t.Platforms = dedupStrings(append(t.Platforms, xb.Platforms...))
	}
	if len(xb.Outputs) > 0 {
		v, err := parseArrValue[buildflags.ExportEntry](xb.Outputs)
		if err != nil {
			return err
		}
		t.Outputs = t.Outputs.Merge(v)
	}
	if xb.Pull != nil {
		t.Pull = xb.Pull
	}
	if xb.NoCache != nil {
		t.NoCache = xb.NoCache
	}
	if len(xb.NoCacheFilter) > 0 {
		t.NoCacheFilter = dedupStrings(append(t.NoCacheFilter, xb.NoCacheFilter...))
	}
	if len(xb.Contexts) > 0 {
		t.Contexts = firstWins(t.Contexts, composeNamedContexts(xb.Contexts))
	}
	return nil
}

// firstWins merges maps; a key keeps the value of the first map that has it.
func firstWins(ms ...map[string]string) map[string]string {
	res := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			if _, ok := res[k]; !ok {
				res[k] = v
			}
		}
	}
	return res
}
