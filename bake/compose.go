package bake

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"errors"
	"github.com/compose-spec/compose-go/v2/consts"
	"github.com/compose-spec/compose-go/v2/loader"
	composeschema "github.com/compose-spec/compose-go/v2/schema"
	composetypes "github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/buildx/util/buildflags"
	"github.com/docker/go-units"
)

// parseCompose turns compose files into a Config the way buildx does: one
// target per service with a build section (service name dots become
// underscores), all of them in the "default" group, x-bake extensions applied.
// Services are taken in name order (buildx walks a map).
func parseCompose(files []File, envs map[string]string) (*Config, error) {
	var cfgs []composetypes.ConfigFile
	for _, f := range files {
		cfgs = append(cfgs, composetypes.ConfigFile{Filename: f.Name, Content: f.Data})
	}
	project, err := loadComposeFiles(cfgs, envs)
	if err != nil {
		return nil, err
	}
	var c Config
	if len(project.Services) == 0 {
		return &c, nil
	}
	c.Groups = []*Group{}
	c.Targets = []*Target{}
	g := &Group{Name: "default"}
	for _, name := range sortedKeys(project.Services) {
		s := project.Services[name]
		if s.Build == nil {
			continue
		}
		t, err := composeTarget(s, project)
		if err != nil {
			return nil, err
		}
		g.Targets = append(g.Targets, t.Name)
		c.Targets = append(c.Targets, t)
	}
	c.Groups = append(c.Groups, g)
	return &c, nil
}

func composeTarget(s composetypes.ServiceConfig, project *composetypes.Project) (*Target, error) {
	b := s.Build
	name := sanitizeTargetName(s.Name)
	if err := validateTargetName(name); err != nil {
		return nil, fmt.Errorf("invalid service name %q: %w", name, err)
	}
	t := &Target{
		Name:        name,
		Context:     nonEmpty(b.Context),
		Dockerfile:  nonEmpty(b.Dockerfile),
		Tags:        b.Tags,
		Labels:      map[string]*string{},
		NetworkMode: nonEmpty(b.Network),
		Platforms:   b.Platforms,
		ExtraHosts:  map[string]*string{},
	}
	t.DockerfileInline = nonEmpty(b.DockerfileInline)
	if b.AdditionalContexts != nil {
		t.Contexts = composeNamedContexts(b.AdditionalContexts)
	}
	if b.ShmSize > 0 {
		v := memBytesString(int64(b.ShmSize))
		t.ShmSize = &v
	}
	for n, u := range b.Ulimits {
		ulimit, err := units.ParseUlimit(fmt.Sprintf("%s=%d:%d", n, u.Soft, u.Hard))
		if err != nil {
			return nil, err
		}
		t.Ulimits = append(t.Ulimits, ulimit.String())
	}
	slices.Sort(t.Ulimits)
	for k, v := range b.ExtraHosts {
		vv := strings.Join(v, ",")
		t.ExtraHosts[k] = &vv
	}
	for _, key := range b.SSH {
		ssh := &buildflags.SSH{ID: key.ID}
		if key.Path != "" {
			ssh.Paths = []string{key.Path}
		}
		t.SSH = append(t.SSH, ssh)
	}
	slices.SortFunc(t.SSH, func(a, b *buildflags.SSH) int { return a.Less(b) })
	for _, bs := range b.Secrets {
		ps := project.Secrets[bs.Source]
		if ps.External {
			return nil, fmt.Errorf("unsupported external secret %s", ps.Name)
		}
		t.Secrets = append(t.Secrets, &buildflags.Secret{ID: bs.Source, FilePath: ps.File, Env: ps.Environment})
	}
	for k, v := range b.Labels {
		t.Labels[k] = &v
	}
	var err error
	if t.CacheFrom, err = buildflags.ParseCacheEntry(b.CacheFrom); err != nil {
		return nil, err
	}
	if t.CacheTo, err = buildflags.ParseCacheEntry(b.CacheTo); err != nil {
		return nil, err
	}
	var attests []string
	if b.SBOM != "" {
		attests = append(attests, buildflags.CanonicalizeAttest("sbom", b.SBOM))
	}
	if b.Provenance != "" {
		attests = append(attests, buildflags.CanonicalizeAttest("provenance", b.Provenance))
	}
	if t.Attest, err = buildflags.ParseAttests(attests); err != nil {
		return nil, err
	}
	if b.NoCache {
		t.NoCache = &b.NoCache
	}
	if b.Pull {
		t.Pull = &b.Pull
	}
	t.Args = composeArgs(b.Args.Resolve(func(val string) (string, bool) {
		if v, ok := s.Environment[val]; ok && v != nil {
			return *v, true
		}
		v, ok := project.Environment[val]
		return v, ok
	}))
	if err := t.applyXBake(b.Extensions); err != nil {
		return nil, err
	}
	if b.Target != "" {
		t.Target = &b.Target
	}
	if len(t.Tags) == 0 && s.Image != "" {
		t.Tags = []string{s.Image}
	}
	return t, nil
}

// loadComposeFiles loads only what bake needs of the files (the services'
// image, build, environment and env_file, and the top-level secrets),
// validated against the compose schema, with all profiles active.
func loadComposeFiles(cfgs []composetypes.ConfigFile, envs map[string]string, options ...func(*loader.Options)) (*composetypes.Project, error) {
	if envs == nil {
		envs = map[string]string{}
	}
	details := composetypes.ConfigDetails{ConfigFiles: cfgs, Environment: envs}
	raw, err := loader.LoadModelWithContext(context.Background(), details, append([]func(*loader.Options){func(opts *loader.Options) {
		projectName := "bake"
		if v, ok := envs[consts.ComposeProjectName]; ok && v != "" {
			projectName = v
		}
		opts.SetProjectName(projectName, false)
		opts.SkipNormalization = true
		opts.SkipValidation = true
	}}, options...)...)
	if err != nil {
		return nil, err
	}
	filtered := map[string]any{}
	if services, ok := raw["services"].(map[string]any); ok {
		fs := map[string]any{}
		for name, svc := range services {
			if svc == nil {
				fs[name] = map[string]any{}
			} else if m, ok := svc.(map[string]any); ok {
				f := map[string]any{}
				for _, field := range []string{"image", "build", "environment", "env_file"} {
					if v, ok := m[field]; ok {
						f[field] = v
					}
				}
				fs[name] = f
			}
		}
		filtered["services"] = fs
	}
	if v, ok := raw["secrets"]; ok {
		filtered["secrets"] = v
	}
	if len(filtered) == 0 {
		return nil, errors.New("empty compose file")
	}
	if err := composeschema.Validate(filtered); err != nil {
		return nil, err
	}
	return loader.ModelToProject(filtered, loader.ToOptions(&details, append([]func(*loader.Options){func(o *loader.Options) {
		o.SkipNormalization = true
		o.Profiles = []string{"*"}
	}}, options...)), details)
}

// isComposeFile decides as buildx does whether a file is compose: .yml and
// .yaml always are (and must load), .json and .hcl never are, anything else
// is compose when it loads as compose.
func isComposeFile(f File, envs map[string]string) (bool, error) {
	name := strings.ToLower(f.Name)
	if strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml") {
		return true, validateCompose(f.Data, envs)
	}
	if strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".hcl") {
		return false, nil
	}
	err := validateCompose(f.Data, envs)
	return err == nil, err
}

func validateCompose(dt []byte, envs map[string]string) error {
	_, err := loadComposeFiles([]composetypes.ConfigFile{{Content: dt}}, envs, func(o *loader.Options) {
		// consistency is checked when all files are loaded together
		o.SkipConsistencyCheck = true
	})
	return err
}

func composeArgs(in composetypes.MappingWithEquals) map[string]*string {
	if len(in) == 0 {
		return nil
	}
	out := map[string]*string{}
	for k, v := range in {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

// composeNamedContexts turns `service:NAME` (and `target:NAME`) contexts into
// bake's `target:` form.
func composeNamedContexts(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if strings.HasPrefix(v, "service:") || strings.HasPrefix(v, "target:") {
			if _, name, ok := strings.Cut(v, ":"); ok {
				v = "target:" + sanitizeTargetName(name)
			}
		}
		out[k] = v
	}
	return out
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// sanitizeTargetName replaces dots, which compose service names may hold.
func sanitizeTargetName(name string) string {
	return strings.ReplaceAll(name, ".", "_")
}
