package main

import (
	"context"
	"os"
	"strings"

	"github.com/kiln-build/kiln/bake"
	"github.com/spf13/pflag"
)

// bakeOptions are the flags of `kiln bake`, the same as `docker buildx bake`.
type bakeOptions struct {
	files        []string
	overrides    []string // --set
	vars         []string // --var name=value
	print        bool
	list         string
	load         bool
	push         bool
	sbom         string
	provenance   string
	policy       []string
	noCache      *bool // nil unless --no-cache was given
	pull         *bool // nil unless --pull was given
	call         string
	allow        []string
	metadataFile string
	progress     string
	builder      string   // the one node of a run on one node (the last --builder, as before)
	builders     []string // every --builder given (a pool when more than one node)
	poolFile     string   // --pool FILE
	cacheReg     string   // --cache-registry HOST/REPO
	jobs         string
	trace        string   // --trace FILE: Chrome trace-event JSON of the run
	graph        string   // --graph dot|mermaid: print the target graph, build nothing
	targets      []string // positional arguments after the remote definition and its command context
	remoteURL    string   // a remote bake definition (first argument a URL), remote.go
	cmdContext   string   // BAKE_CMD_CONTEXT: "cwd://" or the URL after remoteURL
	nodes        *nodeOnce

	affectedSince string // --affected-since REF (affected.go)
	why           bool   // --why: say why each affected target was selected

	noSkip bool // --no-skip: build the targets that are up to date too (skip.go)
}

// newBakeCommand is `kiln bake`.
func newBakeCommand() *command {
	c := &command{
		name:  "bake",
		usage: "bake [OPTIONS] [TARGET...]",
		short: "Build targets from docker-bake.hcl, docker-bake.json or compose files",
	}
	c.run = func(ctx context.Context, args []string) error {
		o, err := parseBakeFlags(c, args)
		if err != nil {
			return err
		}
		return runBake(ctx, o)
	}
	return c
}

// bakeFlags holds the flags whose values need a second look after parsing.
type bakeFlags struct {
	noCache, pull, check, listTargets, listVars *bool
}

// defineBakeFlags declares the flags of `kiln bake` on fs, writing into o.
func defineBakeFlags(fs *pflag.FlagSet, o *bakeOptions) *bakeFlags {
	var f bakeFlags
	fs.StringArrayVarP(&o.files, "file", "f", nil, "Build definition file")
	fs.StringArrayVar(&o.overrides, "set", nil, `Override target value (e.g., "targetpattern.key=value")`)
	fs.StringArrayVar(&o.vars, "var", nil, `Set a variable value (e.g., "name=value")`)
	fs.BoolVar(&o.print, "print", false, "Print the options without building")
	fs.StringVar(&o.list, "list", "", `List targets or variables ("targets", "variables", "type=targets,format=json")`)
	f.listTargets = fs.Bool("list-targets", false, "List available targets")
	f.listVars = fs.Bool("list-variables", false, "List defined variables")
	_ = fs.MarkHidden("list-targets")
	_ = fs.MarkHidden("list-variables")
	fs.BoolVar(&o.load, "load", false, `Shorthand for "--set=*.output=type=docker"`)
	fs.BoolVar(&o.push, "push", false, `Shorthand for "--set=*.output=type=registry"`)
	fs.StringVar(&o.sbom, "sbom", "", `Shorthand for "--set=*.attest=type=sbom"`)
	fs.StringVar(&o.provenance, "provenance", "", `Shorthand for "--set=*.attest=type=provenance"`)
	fs.StringArrayVar(&o.policy, "policy", nil, `Global policy evaluation options (format: "[disabled=true|false][,strict=true|false][,log-level=level]")`)
	f.noCache = fs.Bool("no-cache", false, "Do not use cache when building the image")
	f.pull = fs.Bool("pull", false, "Always attempt to pull all referenced images")
	fs.StringVar(&o.call, "call", "build", `Set method for evaluating build ("check", "outline", "targets")`)
	f.check = fs.Bool("check", false, `Shorthand for "--call=check"`)
	fs.StringArrayVar(&o.allow, "allow", nil, "Allow build to access specified resources")
	fs.StringVar(&o.metadataFile, "metadata-file", "", "Write build result metadata to a file")
	fs.StringVar(&o.progress, "progress", "auto", `Set type of progress output ("auto", "none", "plain", "quiet", "rawjson", "tty")`)
	fs.StringArrayVar(&o.builders, "builder", nil, `Where to build: "embedded", a BuildKit address (unix://, tcp://, docker-container://, kube-pod://, ssh://), "docker", or a buildx builder's name; repeat it for a pool of nodes (default $BUILDX_BUILDER, else the pool file, else "embedded")`)
	fs.StringVar(&o.poolFile, "pool", "", "Build on the nodes of this pool file (default: $KILN_POOL, ./kiln-pool.hcl, ~/.config/kiln/pool.hcl when no --builder is given)")
	fs.StringVar(&o.cacheReg, "cache-registry", "", "Registry repository (HOST/REPO) the nodes of a pool share their cache through, and pass target: results by")
	fs.StringVarP(&o.jobs, "jobs", "j", "fail-fast", `Set target execution behavior (format: "N" or "mode[,parallel=N]")`)
	fs.StringVar(&o.affectedSince, "affected-since", "", "Only the targets a change since this Git revision affects (see docs/affected.md)")
	fs.BoolVar(&o.why, "why", false, `With --affected-since, say on stderr why each target was selected`)
	fs.BoolVar(&o.noSkip, "no-skip", false, "Build every target, also those up to date (see docs/skip.md)")
	fs.StringVar(&o.trace, "trace", "", "Write a trace of the run to a file (Chrome trace-event JSON, for Perfetto)")
	fs.StringVar(&o.graph, "graph", "", `Print the target graph without building ("dot", "mermaid")`)
	return &f
}

func parseBakeFlags(c *command, args []string) (*bakeOptions, error) {
	var o bakeOptions
	fs := newFlags(c)
	f := defineBakeFlags(fs, &o)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.Changed("no-cache") {
		o.noCache = f.noCache
	}
	if fs.Changed("pull") {
		o.pull = f.pull
	}
	if *f.check {
		o.call = "check"
	}
	if o.list == "" {
		if *f.listTargets {
			o.list = "targets"
		} else if *f.listVars {
			o.list = "variables"
		}
	}
	o.remoteURL, o.cmdContext, o.targets = bake.SplitRemoteArgs(fs.Args())
	o.builder = envOr("BUILDX_BUILDER", "embedded")
	if n := len(o.builders); n > 0 {
		o.builder = o.builders[n-1]
	}
	if o.why && o.affectedSince == "" {
		return nil, errWhyAlone
	}
	return &o, nil
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && strings.TrimSpace(v) != "" {
		return v
	}
	return def
}

func runBake(ctx context.Context, o *bakeOptions) error {
	defer o.closeNode()
	switch {
	case o.list != "":
		return listDefinition(ctx, o)
	case o.print:
		return printDefinition(ctx, o)
	case o.graph != "":
		return graphDefinition(ctx, o)
	default:
		return buildDefinition(ctx, o)
	}
}
