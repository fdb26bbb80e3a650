package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/docker/buildx/util/buildflags"
	"github.com/kiln-build/kiln/bake"
	"github.com/kiln-build/kiln/builder/engine"
	"github.com/kiln-build/kiln/builder/inputs"
	"github.com/kiln-build/kiln/builder/pool"
	"github.com/kiln-build/kiln/builder/report"
	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
	"github.com/kiln-build/kiln/builder/skip"
	"github.com/moby/buildkit/client"
)

// skipEnv are the environment variables that change what a build means
// without showing in its definition (docs/skip.md).
var skipEnv = []string{"SOURCE_DATE_EPOCH", "DOCKER_HOST", "BUILDX_NO_DEFAULT_ATTESTATIONS", "EXPERIMENTAL_BUILDKIT_SOURCE_POLICY"}

// skipRun is the up-to-date check of one run: the decisions taken before
// the engine is contacted, and the records written after.
type skipRun struct {
	store     *skip.Store
	stat      *inputs.StatCache
	statPath  string
	resolver  *skip.Resolver
	specs     map[string]skip.Spec
	decisions map[string]*skip.Decision
	// exported are the targets whose outputs this run writes (their
	// records are removed before, written after).
	exported map[string]bool
	// cached are up-to-date targets solved only for a dependent.
	cached map[string]bool
	warn   io.Writer
}

// newSkipRun evaluates every request. With --no-skip every target is
// built, and recorded after as usual: the next run can skip it. where is
// what the run builds on (runIdentity).
func newSkipRun(ctx context.Context, o *bakeOptions, plan *bake.Plan, reqs []*request.Request, where string) *skipRun {
	wd, _ := os.Getwd()
	dir := skip.DefaultDir(wd)
	s := &skipRun{
		store:    &skip.Store{Dir: dir},
		stat:     &inputs.StatCache{},
		statPath: filepath.Join(dir, "stat.cache"),
		resolver: skip.NewResolver(),
		specs:    map[string]skip.Spec{},
		exported: map[string]bool{},
		cached:   map[string]bool{},
		warn:     os.Stderr,
	}
	if err := s.stat.Load(s.statPath); err != nil {
		fmt.Fprintf(s.warn, "WARNING: %v (ignored)\n", err)
	}
	var specs []skip.Spec
	for _, r := range reqs {
		sp := specOf(r, plan.Targets[r.Target], o)
		s.specs[r.Target] = sp
		specs = append(specs, sp)
	}
	env := map[string]string{}
	for _, k := range skipEnv {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	if p := env["EXPERIMENTAL_BUILDKIT_SOURCE_POLICY"]; p != "" {
		// the policy's content decides, not its name
		if fp, err := inputs.Fingerprint(ctx, []string{p}, s.stat); err == nil {
			env["EXPERIMENTAL_BUILDKIT_SOURCE_POLICY"] = fp
		}
	}
	s.decisions = skip.Evaluate(ctx, specs, skip.Options{
		Store: s.store, Resolver: s.resolver, Stat: s.stat,
		Node:     where,
		Versions: map[string]string{"kiln": kilnVersion(), "buildkit": buildkitModuleVersion()},
		Env:      env,
		Rebuild:  o.noSkip,
	})
	for _, r := range reqs {
		d := s.decisions[r.Target]
		if d.Warning != "" {
			fmt.Fprintf(s.warn, "WARNING: target %s: %s\n", r.Target, d.Warning)
		}
		if o.progress == "plain" && !d.UpToDate {
			fmt.Fprintf(s.warn, "kiln: %s: building: %s\n", r.Target, d.Reason)
		}
	}
	return s
}

// runIdentity names what a run builds on, without contacting it, for the
// up-to-date fingerprint: the one node (p nil), else the pool.
func runIdentity(o *bakeOptions, p *pool.Pool) string {
	if p == nil {
		return nodeIdentity(o.builder)
	}
	return poolIdentity(p)
}

// poolIdentity names a pool by what decides where and how its targets
// build: each node's address and declared platforms (sorted: the order
// nodes are listed in does not change a result), and the cache the nodes
// share. Names, TLS files and max-solves are left out: they change
// neither. Adding or removing a node changes it, as switching nodes does.
func poolIdentity(p *pool.Pool) string {
	var nodes []string
	for _, n := range p.Nodes {
		plats := slices.Sorted(slices.Values(normalized(n.Platforms)))
		nodes = append(nodes, nodeIdentity(n.Address)+"["+strings.Join(plats, ",")+"]")
	}
	slices.Sort(nodes)
	id := "pool:" + strings.Join(nodes, " ")
	if p.CacheRegistry != "" {
		id += " cache-registry=" + p.CacheRegistry
	}
	if p.CacheDir != "" {
		id += " cache-dir=" + p.CacheDir
	}
	return id
}

// nodeIdentity names the node without contacting it: the embedded
// engine's state directory, or the --builder address.
func nodeIdentity(b string) string {
	if b == "" || b == "embedded" {
		root, err := filepath.Abs(engine.DefaultRoot())
		if err != nil {
			root = engine.DefaultRoot()
		}
		return "embedded:" + root
	}
	return b
}

// kilnVersion is the version and, for a build from a checkout, the
// commit kiln was built from (a rebuilt kiln may build differently).
func kilnVersion() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				v += " " + s.Key + "=" + s.Value
			}
		}
	}
	return v
}

// solveFacts is the part of a request that decides its result, as the
// fingerprint sees it: s3 credentials (filled from the environment) and
// secret values stay out; secrets are named by id and source only.
type solveFacts struct {
	Frontend     string
	Attrs        map[string]string
	Locals       map[string]string
	Inline       string
	OCIStores    map[string]string
	Exports      []request.Export
	CacheImports []client.CacheOptionsEntry
	CacheExports []client.CacheOptionsEntry
	Entitlements []string
	Secrets      any
	SSH          any
}

func specOf(r *request.Request, t *bake.Target, o *bakeOptions) skip.Spec {
	sp := skip.Spec{
		Name:       r.Target,
		Definition: t,
		Solve: solveFacts{
			Frontend: r.Frontend, Attrs: r.Attrs, Locals: r.Locals, Inline: r.DockerfileInline, OCIStores: r.OCIStores,
			Exports: r.Exports, CacheImports: scrubCache(r.CacheImports), CacheExports: scrubCache(r.CacheExports),
			Entitlements: r.Entitlements, Secrets: r.Secrets, SSH: r.SSH,
		},
		BuildArgs: map[string]string{},
	}
	for k, v := range r.Attrs {
		if a, ok := strings.CutPrefix(k, "build-arg:"); ok {
			sp.BuildArgs[a] = v
		}
	}
	if p := r.Attrs["platform"]; p != "" {
		sp.Platforms = strings.Split(p, ",")
	}
	in, err := inputs.Of(inputs.Solve{Attrs: r.Attrs, Locals: r.Locals})
	if err != nil {
		sp.Unverifiable = err.Error()
		return sp
	}
	sp.Inputs = in
	switch dir, ok := r.Locals["dockerfile"]; {
	case ok && dir == "":
		sp.Dockerfile = []byte(r.DockerfileInline)
	case ok:
		name := r.Attrs["filename"]
		if name == "" {
			name = "Dockerfile"
		}
		if dt, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name))); err == nil {
			sp.Dockerfile = dt
		}
	}
	sp.Outputs, sp.Unverifiable = outputsOf(r, o)
	return sp
}

func scrubCache(in []client.CacheOptionsEntry) []client.CacheOptionsEntry {
	out := make([]client.CacheOptionsEntry, len(in))
	for i, e := range in {
		out[i] = client.CacheOptionsEntry{Type: e.Type, Attrs: map[string]string{}}
		for k, v := range e.Attrs {
			if k == "secret_access_key" || k == "session_token" || k == "access_key_id" || k == "token" {
				continue
			}
			out[i].Attrs[k] = v
		}
	}
	return out
}

// outputsOf lists what the request writes that the check verifies, or
// says why the request cannot be skipped.
func outputsOf(r *request.Request, o *bakeOptions) ([]skip.Output, string) {
	switch {
	case r.Call != nil:
		return nil, "--call " + r.Call.Name
	case hasAttr(r.Attrs, "no-cache"):
		return nil, "--no-cache"
	case r.Attrs["image-resolve-mode"] == "pull":
		return nil, "--pull"
	}
	var outs []skip.Output
	for _, e := range r.Exports {
		switch {
		case e.File == "-":
			return nil, "an output to stdout"
		case e.Push():
			for _, n := range strings.Split(e.Attrs["name"], ",") {
				if n = strings.TrimSpace(n); n != "" {
					outs = append(outs, skip.Output{Kind: skip.KindPush, Ref: n})
				}
			}
		case e.Load:
			names := strings.Split(e.Attrs["name"], ",")
			if e.Attrs["name"] == "" {
				return nil, "a loaded image without a name"
			}
			for _, n := range names {
				outs = append(outs, skip.Output{Kind: skip.KindLoad, Ref: strings.TrimSpace(n), Host: os.Getenv("DOCKER_HOST")})
			}
		case e.Dir != "":
			outs = append(outs, skip.Output{Kind: skip.KindDir, Path: e.Dir})
		case e.File != "":
			outs = append(outs, skip.Output{Kind: skip.KindFile, Path: e.File})
		default:
			return nil, "an output of type " + e.Type + " kiln cannot check (" + e.Type + " without push or dest)"
		}
	}
	for _, c := range r.CacheExports {
		switch c.Type {
		case "inline":
		case "registry":
			outs = append(outs, skip.Output{Kind: skip.KindCacheRegistry, Ref: c.Attrs["ref"]})
		case "local":
			outs = append(outs, skip.Output{Kind: skip.KindCacheLocal, Path: c.Attrs["dest"]})
		default:
			return nil, "cache-to type=" + c.Type + " kiln cannot check"
		}
	}
	return outs, ""
}

func hasAttr(m map[string]string, k string) bool { _, ok := m[k]; return ok }

// plan returns the requests to run: those not up to date, and the
// up-to-date ones a dependent that is built needs, without their exports
// (solved from cache, not written again).
func (s *skipRun) plan(reqs []*request.Request) []*request.Request {
	byName := map[string]*request.Request{}
	for _, r := range reqs {
		byName[r.Target] = r
	}
	need := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		if need[n] {
			return
		}
		need[n] = true
		if r := byName[n]; r != nil {
			for _, d := range r.Deps {
				visit(d)
			}
		}
	}
	for _, r := range reqs {
		if !s.decisions[r.Target].UpToDate {
			visit(r.Target)
		}
	}
	var out []*request.Request
	for _, r := range reqs {
		switch {
		case !need[r.Target]:
		case s.decisions[r.Target].UpToDate:
			cr := *r
			cr.Exports, cr.CacheExports, cr.NoOutput = nil, nil, false
			s.cached[r.Target] = true
			out = append(out, &cr)
		case r.Call != nil:
			out = append(out, r) // a subrequest writes no output: the record stands
		default:
			s.exported[r.Target] = true
			out = append(out, r)
		}
	}
	return out
}

// forget removes the records of the targets this run exports, before any
// output is written: a run killed while writing them leaves no record.
func (s *skipRun) forget() error {
	for n := range s.exported {
		if err := s.store.Remove(n); err != nil {
			return fmt.Errorf("target %s: removing its up-to-date record: %w", n, err)
		}
	}
	return nil
}

// record writes the records of the targets built and exported by rep,
// now that their outputs are complete, and marks the up-to-date ones in
// rep (their outcomes added, with the response of the build they reuse).
func (s *skipRun) record(ctx context.Context, rep *report.Report, reqs []*request.Request) {
	now := time.Now()
	c := &skip.Checker{Resolver: s.resolver, Stat: s.stat}
	for i := range rep.Outcomes {
		oc := &rep.Outcomes[i]
		d := s.decisions[oc.Target]
		if s.cached[oc.Target] && oc.Status == schedule.Succeeded {
			oc.UpToDate, oc.Built, oc.Response = true, d.Record.Built, d.Record.Response
			continue
		}
		// a target built anyway (--no-cache, stdout, ...) has nothing a
		// record could claim: its next run is built anyway too, or has
		// another fingerprint (the flags are in the definition)
		if !s.exported[oc.Target] || oc.Status != schedule.Succeeded || d.Fingerprint == "" || d.Forced {
			continue
		}
		outs, err := c.Capture(ctx, s.specs[oc.Target].Outputs, oc.Response)
		if err != nil {
			fmt.Fprintf(s.warn, "WARNING: target %s: not recorded as up to date: %v\n", oc.Target, err)
			continue
		}
		rec := &skip.Record{Target: oc.Target, Fingerprint: d.Fingerprint, Built: now, Outputs: outs, Response: oc.Response}
		if err := s.store.Put(rec); err != nil {
			fmt.Fprintf(s.warn, "WARNING: target %s: not recorded as up to date: %v\n", oc.Target, err)
		}
	}
	for _, r := range reqs {
		d := s.decisions[r.Target]
		if !d.UpToDate || s.cached[r.Target] {
			continue
		}
		rep.Outcomes = append(rep.Outcomes, schedule.Outcome{Target: r.Target, Status: schedule.Succeeded, UpToDate: true, Built: d.Record.Built, Response: d.Record.Response})
		rep.Requests[r.Target] = r
	}
	schedule.SortOutcomes(rep.Outcomes)
	for _, r := range reqs { // describe the requests as defined, exports included
		rep.Requests[r.Target] = r
	}
	if err := s.stat.Save(s.statPath); err != nil {
		fmt.Fprintf(s.warn, "WARNING: stat cache not saved: %v\n", err)
	}
}

// reportUpToDate ends a run in which every target is up to date: no
// engine is started; the summary, metadata file and exit status are those
// of a run whose targets all succeeded, with their last builds' results.
func reportUpToDate(ctx context.Context, o *bakeOptions, p *pool.Pool, s *skipRun, plan *bake.Plan, reqs []*request.Request, ex schedule.Execution, call *buildflags.CallFunc) error {
	now := time.Now()
	where := nodeIdentityName(o.builder)
	if p != nil {
		where = poolName(p.Nodes)
	}
	if w := report.NoOutputWarning(reqs, where); w != "" {
		fmt.Fprintf(os.Stderr, "WARNING: %s\n", w)
	}
	rep := &report.Report{Requests: map[string]*request.Request{}}
	s.record(ctx, rep, reqs)
	return finishRun(o, rep, ex, plan, call, where, nil, now, now)
}

// nodeIdentityName is how the summary names the node it did not contact.
func nodeIdentityName(b string) string {
	if b == "" {
		return "embedded"
	}
	return b
}
