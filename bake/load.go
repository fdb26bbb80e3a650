package bake

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"errors"
	"github.com/containerd/platforms"
	"github.com/docker/buildx/util/buildflags"
	"github.com/kiln-build/kiln/hclspec"
)

// LoadOptions are the `bake` command-line inputs that decide a Plan.
type LoadOptions struct {
	// Files are the -f values in order ("-" is Stdin). When empty,
	// BUILDX_BAKE_FILE is used, then the default file names.
	Files []string
	Stdin io.Reader
	// Targets are the requested names (targets, groups, glob patterns);
	// "default" when empty.
	Targets []string
	// Overrides are --set values; Vars are --var name=value values.
	Overrides []string
	Vars      []string
	// Flags that buildx turns into overrides of every target.
	Push, Load       bool
	Call             string // --call / --check; "" or "build" is a plain build
	NoCache, Pull    *bool  // nil unless given
	SBOM, Provenance string
	Policy           []string
	// Allow are --allow values; only parsed (rejected when malformed) here.
	Allow []string
	// StdoutTerminal says that standard output is a terminal, where file
	// outputs without dest (tar, oci) may not be written.
	StdoutTerminal bool
	// Env is the environment ("KEY=VALUE" entries) bake files are
	// evaluated with; nil means the process environment.
	Env []string
	// ReadFiles reads the bake files named; nil is ReadLocalFiles.
	// --affected-since reads them as they were at a Git revision.
	ReadFiles func(names []string, stdin io.Reader) ([]File, error)
	// Remote is the remote definition when the first argument was a URL
	// (Targets then holds the arguments after it); nil otherwise.
	Remote *RemoteDefinition
}

// Load reads and evaluates the bake files and resolves the requested names
// into a Plan, exactly as `docker buildx bake` does before building (and
// what --print prints): inheritance, --set and flag overrides, defaults,
// normalized values, and the targets named by `target:` contexts (marked
// Linked, with a cacheonly output). Plan.Targets holds every target to build.
// The Meta holds the declared variables and matrix renames.
func Load(ctx context.Context, opts LoadOptions) (*Plan, *hclspec.Meta, error) {
	overrides, disablePolicy, err := FlagOverrides(opts)
	if err != nil {
		return nil, nil, err
	}
	cfg, meta, inp, err := loadConfig(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	p, err := cfg.ResolvePlan(opts.Targets, overrides, opts.envLookup())
	if err != nil {
		return nil, nil, err
	}
	lookupEnv := opts.lookupEnv()
	epoch, hasEpoch := lookupEnv("SOURCE_DATE_EPOCH")
	var urls urlKinds
	environ := opts.environ()
	for _, name := range sortedKeys(p.Targets) {
		t := p.Targets[name]
		if disablePolicy {
			t.Policy = buildflags.PolicyConfigs{{Disabled: true}}
		}
		if _, ok := t.Args["SOURCE_DATE_EPOCH"]; !ok && hasEpoch && epoch != "" {
			if t.Args == nil {
				t.Args = map[string]*string{}
			}
			v := epoch
			t.Args["SOURCE_DATE_EPOCH"] = &v
		}
		if err := t.prepare(lookupEnv, opts.StdoutTerminal, &urls, inp, environ); err != nil {
			return nil, nil, p.checkErrorAt(name, err)
		}
	}
	return p, meta, nil
}

// LoadConfig reads and evaluates the bake files without resolving targets
// (what --list shows).
func LoadConfig(ctx context.Context, opts LoadOptions) (*Config, *hclspec.Meta, error) {
	cfg, meta, _, err := loadConfig(ctx, opts)
	return cfg, meta, err
}

// loadConfig is LoadConfig, with the Input of a remote definition.
func loadConfig(ctx context.Context, opts LoadOptions) (*Config, *hclspec.Meta, *Input, error) {
	names := opts.Files
	if len(names) == 0 {
		var err error
		if names, err = FilesFromEnv(opts.lookupEnv()); err != nil {
			return nil, nil, nil, err
		}
	}
	stdin := opts.Stdin
	if stdin == nil {
		stdin = os.Stdin
	}
	read := ReadLocalFiles
	if opts.ReadFiles != nil {
		read = opts.ReadFiles
	}
	var (
		files []File
		inp   *Input
		err   error
	)
	cmdContext := "cwd://"
	if opts.Remote != nil {
		cmdContext = opts.Remote.CmdContext
		files, inp, err = readRemoteFiles(ctx, opts.Remote, names, stdin)
	} else {
		files, err = read(names, stdin)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if len(files) == 0 {
		return nil, nil, nil, errors.New("couldn't find a bake definition")
	}
	vars, err := ParseVars(opts.Vars)
	if err != nil {
		return nil, nil, nil, err
	}
	relPaths, _ := opts.lookupEnv()("BUILDX_BAKE_FILE_RELATIVE_PATHS")
	fileRelative := false
	if v := strings.TrimSpace(relPaths); v != "" {
		if fileRelative, err = strconv.ParseBool(v); err != nil {
			return nil, nil, nil, fmt.Errorf("failed to parse %s value %q: %w", "BUILDX_BAKE_FILE_RELATIVE_PATHS", v, err)
		}
	}
	cfg, meta, err := ParseFiles(files, ParseOptions{
		Defaults: map[string]string{
			"BAKE_CMD_CONTEXT":    cmdContext,
			"BAKE_LOCAL_PLATFORM": platforms.Format(platforms.DefaultSpec()),
		},
		Vars:      vars,
		LookupEnv: opts.envLookup(),
		Environ:   opts.environ(),

		FileRelativePaths: fileRelative,
	})
	return cfg, meta, inp, err
}

func (o LoadOptions) environ() []string {
	if o.Env != nil {
		return o.Env
	}
	return os.Environ()
}

func (o LoadOptions) lookupEnv() func(string) (string, bool) {
	if o.Env == nil {
		return os.LookupEnv
	}
	m := map[string]string{}
	for _, kv := range o.Env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// envLookup is the environment variables may be read from; nil when
// BUILDX_BAKE_DISABLE_VARS_ENV_LOOKUP is true.
func (o LoadOptions) envLookup() func(string) (string, bool) {
	lookup := o.lookupEnv()
	if v, ok := lookup("BUILDX_BAKE_DISABLE_VARS_ENV_LOOKUP"); ok {
		if disable, err := strconv.ParseBool(v); err == nil && disable {
			return nil
		}
	}
	return lookup
}

// ParseVars parses --var values.
func ParseVars(values []string) (map[string]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	vars := make(map[string]string, len(values))
	for _, value := range values {
		if value == "" {
			continue
		}
		key, val, ok := strings.Cut(value, "=")
		if !ok {
			return nil, fmt.Errorf("invalid variable %q, expected key=value", value)
		}
		if key == "" {
			return nil, fmt.Errorf("invalid variable %q, key is empty", value)
		}
		vars[key] = val
	}
	return vars, nil
}
