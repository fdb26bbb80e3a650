package skip

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"

	"github.com/kiln-build/kiln/builder/inputs"
	"golang.org/x/sync/errgroup"
)

// Spec is one target as the skip check sees it.
type Spec struct {
	Name string
	// Definition is the target as --print shows it; Solve the translated
	// request. Both are marshalled to JSON.
	Definition, Solve any
	// Inputs are what the build reads (builder/inputs.Of).
	Inputs *inputs.Inputs
	// Dockerfile is the Dockerfile's text (the file or dockerfile-inline);
	// nil when it is read from a remote context.
	Dockerfile []byte
	// BuildArgs and Platforms expand the Dockerfile's ARGs.
	BuildArgs map[string]string
	Platforms []string
	// Outputs are what the build writes that Verify checks.
	Outputs []Output
	// Unverifiable, when set, says why the target is built whatever its
	// fingerprint (--no-cache, --pull, an output to stdout, a subrequest).
	Unverifiable string
}

// Options are the settings of one evaluation.
type Options struct {
	Store    *Store
	Resolver *Resolver
	Stat     *inputs.StatCache
	// Node identifies the node the run builds on.
	Node string
	// Versions of kiln and BuildKit; Env the environment that changes a
	// build's meaning.
	Versions map[string]string
	Env      map[string]string
	// Rebuild decides every target out of date (--no-skip) without
	// reading records or checking outputs; the fingerprints are still
	// computed, for the records written after the builds.
	Rebuild bool

	trees *treeMemo
}

// Decision is whether one target is built.
type Decision struct {
	Target string
	// Fingerprint is "" when the target cannot be verified.
	Fingerprint string
	// UpToDate: the recorded build is still valid; Record is it.
	UpToDate bool
	Record   *Record
	// Forced: the target is built whatever its fingerprint (its spec is
	// Unverifiable, or a dependency's is); Fingerprint is still recorded
	// after the build, for the next run.
	Forced bool
	// Reason says why the target is built (when it is not up to date).
	Reason string
	// Warning is a record that was ignored (corrupt, foreign).
	Warning string
}

// Evaluate decides, for each spec, whether it is up to date. The targets'
// own facts are computed in parallel (files hashed, references resolved,
// each reference once); the dependencies' fingerprints then go into their
// dependents'. It never fails: what cannot be computed is a reason to
// build.
func Evaluate(ctx context.Context, specs []Spec, o Options) map[string]*Decision {
	if o.Stat == nil {
		o.Stat = &inputs.StatCache{}
	}
	if o.Resolver == nil {
		o.Resolver = NewResolver()
	}
	o.trees = &treeMemo{m: map[string]*treeResult{}}
	facts := make([]*Facts, len(specs))
	why := make([]string, len(specs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2 * runtime.GOMAXPROCS(0))
	for i := range specs {
		g.Go(func() error {
			facts[i], why[i] = ownFacts(gctx, &specs[i], o)
			return nil
		})
	}
	g.Wait()

	out := map[string]*Decision{}
	byName := map[string]int{}
	for i, s := range specs {
		byName[s.Name] = i
	}
	var visit func(i int) *Decision
	visit = func(i int) *Decision {
		s := &specs[i]
		if d, ok := out[s.Name]; ok {
			return d
		}
		d := &Decision{Target: s.Name, Forced: s.Unverifiable != "", Reason: s.Unverifiable}
		out[s.Name] = d // before the dependencies: a cycle finds it unfinished (no fingerprint)
		f := facts[i]
		if f != nil && s.Inputs != nil && len(s.Inputs.Deps) > 0 {
			f.Deps = map[string]string{}
			for _, ctxName := range slices.Sorted(maps.Keys(s.Inputs.Deps)) {
				dep := s.Inputs.Deps[ctxName]
				j, ok := byName[dep]
				if !ok {
					why[i] = "uses target " + dep + ", which is not in the run"
					break
				}
				dd := visit(j)
				if dd.Fingerprint == "" {
					why[i] = "uses " + dep + ", which cannot be verified (" + dd.Reason + ")"
					break
				}
				if dd.Forced && !d.Forced {
					d.Forced, d.Reason = true, "uses "+dep+", which is built anyway ("+dd.Reason+")"
				}
				f.Deps[ctxName] = dd.Fingerprint
			}
		}
		if why[i] != "" || f == nil {
			d.Reason = why[i]
			return d
		}
		d.Fingerprint = f.Fingerprint()
		if d.Fingerprint == "" {
			d.Reason = "the definition does not marshal"
			return d
		}
		decide(ctx, d, s, o)
		return d
	}
	for i := range specs {
		visit(i)
	}
	return out
}

// decide compares d's fingerprint with the record and checks the outputs.
func decide(ctx context.Context, d *Decision, s *Spec, o Options) {
	if d.Forced {
		return
	}
	if o.Rebuild {
		d.Reason = "--no-skip"
		return
	}
	if o.Store == nil {
		d.Reason = "no record store"
		return
	}
	rec, err := o.Store.Get(s.Name)
	switch {
	case errors.Is(err, ErrNoRecord):
		d.Reason = "not built before"
		return
	case err != nil:
		d.Warning = err.Error()
		d.Reason = "record ignored"
		return
	case rec.Fingerprint != d.Fingerprint:
		d.Reason = "inputs or definition changed"
		return
	}
	if !sameOutputs(rec.Outputs, s.Outputs) {
		d.Reason = "outputs changed"
		return
	}
	c := &Checker{Resolver: o.Resolver, Stat: o.Stat}
	if why := c.Verify(ctx, rec.Outputs); why != "" {
		d.Reason = why
		return
	}
	d.UpToDate, d.Record = true, rec
}

// sameOutputs: the recorded outputs are the ones the spec writes (the
// definition's fingerprint covers this too; this guards a record written
// by a kiln that described outputs differently).
func sameOutputs(rec, want []Output) bool {
	if len(rec) != len(want) {
		return false
	}
	for i := range rec {
		a, b := rec[i], want[i]
		if a.Kind != b.Kind || a.Path != b.Path || a.Ref != b.Ref || a.Host != b.Host {
			return false
		}
	}
	return true
}

// ownFacts computes the facts of s apart from its dependencies; the
// string says why s cannot be verified.
func ownFacts(ctx context.Context, s *Spec, o Options) (*Facts, string) {
	f := &Facts{Node: o.Node, Versions: o.Versions, Env: o.Env, Remote: map[string]string{}}
	var err error
	if f.Definition, err = json.Marshal(s.Definition); err != nil {
		return nil, "definition: " + err.Error()
	}
	if f.Solve, err = json.Marshal(s.Solve); err != nil {
		return nil, "solve: " + err.Error()
	}
	if s.Inputs == nil {
		return nil, "inputs unknown"
	}
	var err2 error
	if f.Content, err2 = o.trees.content(ctx, s.Inputs, o.Stat); err2 != nil {
		return nil, err2.Error()
	}
	var images []string
	named := map[string]bool{}
	for _, t := range s.Inputs.Trees {
		named[t.Name] = true
	}
	for name := range s.Inputs.Deps {
		named[name] = true
	}
	for _, r := range s.Inputs.Remote {
		named[r.Name] = true
		switch {
		case strings.HasPrefix(r.Ref, "docker-image://"):
			images = append(images, strings.TrimPrefix(r.Ref, "docker-image://"))
		case IsGit(r.Ref):
			c, err := o.Resolver.Git(ctx, r.Ref)
			if err != nil {
				return nil, err.Error()
			}
			f.Remote["git:"+r.Ref] = c
		default:
			return nil, fmt.Sprintf("context %s (%s) cannot be verified", r.Name, r.Ref)
		}
	}
	if s.Dockerfile == nil {
		return nil, "the Dockerfile is read from a remote context"
	}
	refs, err := ParseDockerfile(s.Dockerfile, s.BuildArgs, s.Platforms, named)
	if err != nil {
		return nil, "Dockerfile: " + err.Error()
	}
	if refs.Unverifiable != "" {
		return nil, refs.Unverifiable
	}
	if refs.Syntax != "" {
		images = append(images, refs.Syntax)
	}
	images = append(images, refs.Images...)
	// resolve in parallel; the Resolver shares one request per reference
	digests := make([]string, len(images))
	errs := make([]error, len(images))
	g, gctx := errgroup.WithContext(ctx)
	for i, ref := range images {
		g.Go(func() error {
			digests[i], errs[i] = o.Resolver.Image(gctx, ref)
			return nil
		})
	}
	g.Wait()
	for i, ref := range images {
		if errs[i] != nil {
			return nil, errs[i].Error()
		}
		f.Remote["image:"+ref] = digests[i]
	}
	return f, ""
}
