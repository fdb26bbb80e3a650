package request

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/docker/buildx/policy"
	"github.com/docker/buildx/util/buildflags"
	"github.com/moby/buildkit/client/llb"
	"github.com/sirupsen/logrus"
)

// PolicySpec is a target's Rego build policy setup as plain data: what
// buildx's loadInputs and withPolicyConfig derive from the target before a
// solve. The policies themselves are evaluated by buildx's policy package
// during the solve (policysolve.go).
type PolicySpec struct {
	// Configs are the target's policy entries (filename, reset, disabled,
	// strict, log-level), --policy flags included.
	Configs []buildflags.PolicyConfig
	// ContextDir is the local build context: relative policy filenames (and
	// Rego imports) are read from it; cwd:// names from the working directory.
	ContextDir string
	// ContextState is the remote build context (a remote definition's
	// folder, a Git or HTTP context) policy files are read from instead of
	// ContextDir, as in buildx; DefaultRemote is the Dockerfile.rego looked
	// for in it.
	ContextState  *llb.State
	DefaultRemote string
	// Default is the Dockerfile.rego beside a local Dockerfile, loaded
	// automatically; "" when there is none. DefaultName is how buildx
	// names it (relative to the working directory), in messages.
	Default, DefaultName string
	// Env is input.env of the policy: build args, labels, the Dockerfile's
	// name and the stage.
	Env policy.Env
	// Builtin is $BUILDX_DEFAULT_POLICY: buildx's embedded default policy
	// (signed Docker-managed images) goes before the target's policies
	// unless a policy entry disables them.
	Builtin bool
	// ConfigDir is buildx's configuration directory, where the signature
	// verifier keeps its state (policy/), as buildx's confutil.Config.
	ConfigDir string
}

// PolicyFile is one policy file to load: Data when already read.
type PolicyFile struct {
	Filename string
	Optional bool
	Data     []byte
}

// PolicyGroup is one policy (files evaluated together) with its options,
// buildx's policyOpt.
type PolicyGroup struct {
	Files    []PolicyFile
	Strict   bool
	LogLevel *logrus.Level
	// SkipCaps is set on the builtin default policy, whose capabilities
	// buildx does not evaluate.
	SkipCaps bool
}

// translatePolicy fills r.Policy as buildx's loadInputs does: the
// Dockerfile.rego beside a local Dockerfile, the context directory policy
// files are read from, and the policy's input.env.
func translatePolicy(r *Request, t *Target, o Options) error {
	spec := &PolicySpec{Configs: []buildflags.PolicyConfig(t.Policy), ContextDir: r.Locals["context"]}
	// As buildx's policy.DefaultPolicyEnabled: a value that is no boolean
	// leaves the builtin policy off.
	if v, ok := o.env("BUILDX_DEFAULT_POLICY"); ok {
		spec.Builtin, _ = strconv.ParseBool(v)
	}
	spec.ConfigDir, _ = o.env("BUILDX_CONFIG")
	if spec.ConfigDir == "" && o.LookupEnv != nil {
		spec.ConfigDir = filepath.Join(dockerConfigDir(o.LookupEnv), "buildx")
	}
	env := policy.Env{Filename: "Dockerfile"}
	if t.Dockerfile != nil && *t.Dockerfile != "" {
		if b := filepath.Base(filepath.Clean(*t.Dockerfile)); b != "." && b != string(filepath.Separator) {
			env.Filename = b
		}
	}
	for k, v := range t.Args {
		if v != nil {
			if env.Args == nil {
				env.Args = map[string]*string{}
			}
			env.Args[k] = v
		}
	}
	for k, v := range t.Labels {
		if v != nil {
			if env.Labels == nil {
				env.Labels = map[string]string{}
			}
			env.Labels[k] = *v
		}
	}
	if t.Target != nil {
		env.Target = *t.Target
	}
	spec.Env = env
	if _, local := r.Locals["context"]; !local {
		spec.ContextState = remotePolicyState(r, t.ContextState())
	}
	// An inline Dockerfile is served from an empty directory, so buildx
	// finds no Dockerfile.rego beside it; a remote context's is read from
	// the remote source.
	if spec.ContextState != nil && r.DockerfileInline == "" && r.Locals["dockerfile"] == "" {
		spec.DefaultRemote = r.Attrs["filename"] + ".rego"
	} else if dir := r.Locals["dockerfile"]; dir != "" {
		p := filepath.Join(dir, r.Attrs["filename"]+".rego")
		if _, err := os.Stat(p); err == nil {
			spec.Default = p
			spec.DefaultName = filepath.Join(filepath.Dir(r.DockerfileSource), r.Attrs["filename"]+".rego")
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	r.Policy = spec
	return nil
}

// Groups composes the default policy and the configured entries as
// buildx's withPolicyConfig does, after the builtin default policy when
// Builtin is set (as configureSourcePolicy prepends it); nil means no
// policy applies.
func (s *PolicySpec) Groups() ([]PolicyGroup, error) {
	groups, err := s.configured()
	if err != nil || !s.Builtin {
		return groups, err
	}
	for _, cfg := range s.Configs {
		if cfg.Disabled {
			return groups, nil
		}
	}
	builtin := PolicyGroup{Files: []PolicyFile{{Filename: policy.DefaultPolicyFilename, Data: policy.DefaultPolicyData()}}, SkipCaps: true}
	return append([]PolicyGroup{builtin}, groups...), nil
}

// configured is withPolicyConfig: the Dockerfile.rego beside the
// Dockerfile and the target's entries.
func (s *PolicySpec) configured() ([]PolicyGroup, error) {
	var def PolicyGroup
	if s.Default != "" {
		dt, err := os.ReadFile(s.Default)
		if err != nil {
			return nil, fmt.Errorf("failed to read policy file %s: %w", s.DefaultName, err)
		}
		def.Files = []PolicyFile{{Filename: s.DefaultName, Optional: true, Data: dt}}
	} else if s.DefaultRemote != "" {
		def.Files = []PolicyFile{{Filename: s.DefaultRemote, Optional: true}}
	}
	if len(s.Configs) == 0 {
		if len(def.Files) == 0 {
			return nil, nil
		}
		return []PolicyGroup{def}, nil
	}
	for _, cfg := range s.Configs {
		if !cfg.Disabled {
			continue
		}
		if cfg.Reset || cfg.Strict != nil || cfg.LogLevel != nil || len(cfg.Files) > 0 || len(s.Configs) > 1 {
			return nil, errors.New("disabled policy cannot be combined with other policy flags")
		}
		return nil, nil
	}
	var out []PolicyGroup
	if len(def.Files) != 0 {
		out = append(out, def)
	}
	var last buildflags.PolicyConfig
	for _, cfg := range s.Configs {
		if cfg.Reset {
			out = nil
		}
		if len(cfg.Files) == 0 {
			if len(out) == 0 {
				last = cfg
			} else {
				l := &out[len(out)-1]
				if cfg.Strict != nil {
					l.Strict = *cfg.Strict
				}
				if cfg.LogLevel != nil {
					l.LogLevel = cfg.LogLevel
				}
			}
			continue
		}
		g := PolicyGroup{}
		for _, f := range cfg.Files {
			g.Files = append(g.Files, PolicyFile{Filename: f.Filename})
		}
		if last.Strict != nil {
			g.Strict = *last.Strict
		}
		if last.LogLevel != nil {
			g.LogLevel = last.LogLevel
		}
		if cfg.Strict != nil {
			g.Strict = *cfg.Strict
		}
		if cfg.LogLevel != nil {
			g.LogLevel = cfg.LogLevel
		}
		out = append(out, g)
	}
	return out, nil
}
