package bake

import (
	"fmt"
	"slices"

	"errors"
	"github.com/docker/buildx/util/buildflags"
)

// FlagOverrides returns the --set values followed by the overrides buildx
// derives from --push, --load, --call, --no-cache, --pull, --sbom,
// --provenance and --policy (in that order), and whether --policy
// disabled=true turns policies off.
func FlagOverrides(o LoadOptions) ([]string, bool, error) {
	callFunc, err := buildflags.ParseCallFunc(o.Call)
	if err != nil {
		return nil, false, err
	}
	overrides := slices.Clone(o.Overrides)
	if o.Push {
		overrides = append(overrides, "*.push=true")
	}
	if o.Load {
		overrides = append(overrides, "*.load=true")
	}
	if callFunc != nil {
		overrides = append(overrides, fmt.Sprintf("*.call=%s", callFunc.Name))
	}
	if o.NoCache != nil {
		overrides = append(overrides, fmt.Sprintf("*.no-cache=%t", *o.NoCache))
	}
	if o.Pull != nil {
		overrides = append(overrides, fmt.Sprintf("*.pull=%t", *o.Pull))
	}
	if o.SBOM != "" {
		overrides = append(overrides, fmt.Sprintf("*.attest=%s", buildflags.CanonicalizeAttest("sbom", o.SBOM)))
	}
	if o.Provenance != "" {
		overrides = append(overrides, fmt.Sprintf("*.attest=%s", buildflags.CanonicalizeAttest("provenance", o.Provenance)))
	}
	policies, disable, err := policyOverrides(o.Policy)
	if err != nil {
		return nil, false, err
	}
	if _, err := ParseAllow(o.Allow); err != nil {
		return nil, false, err
	}
	return append(overrides, policies...), disable, nil
}

func policyOverrides(in []string) ([]string, bool, error) {
	configs, err := buildflags.ParsePolicyConfigs(in)
	if err != nil {
		return nil, false, err
	}
	overrides := make([]string, 0, len(in))
	for i, cfg := range configs {
		if len(cfg.Files) > 0 {
			return nil, false, errors.New(`--policy does not accept filename; define policy files in the bake definition`)
		}
		if cfg.Reset {
			return nil, false, errors.New(`--policy does not accept reset; define policy composition in the bake definition`)
		}
		if cfg.Disabled {
			if cfg.Strict != nil || cfg.LogLevel != nil || len(configs) > 1 {
				return nil, false, errors.New("disabled policy cannot be combined with other policy flags")
			}
			return nil, true, nil
		}
		overrides = append(overrides, "*.policy+="+in[i])
	}
	return overrides, false, nil
}
