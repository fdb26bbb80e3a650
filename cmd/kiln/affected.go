package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/bake"
	"github.com/kiln-build/kiln/builder/inputs"
	"github.com/kiln-build/kiln/builder/request"
)

var errWhyAlone = errors.New("--why explains --affected-since; give both")

// affectedSelection is why each selected target was selected, by target.
type affectedSelection map[string]string

// selectAffected returns which targets of plan are affected since
// o.affectedSince: a file they read changed between the revision and the
// working tree, their definition differs from the one the bake files at
// the revision give, or they use an affected target through `target:`.
// With --why it says why on w.
func selectAffected(ctx context.Context, o *bakeOptions, lo bake.LoadOptions, plan *bake.Plan, w io.Writer) (affectedSelection, error) {
	repo, err := openGitRepo(ctx, o.affectedSince)
	if err != nil {
		return nil, err
	}
	changed, err := repo.changedFiles(ctx)
	if err != nil {
		return nil, err
	}
	refPlan, refErr := planAtRevision(ctx, repo, lo)

	names := slices.Sorted(maps.Keys(plan.Targets))
	deps := map[string][]string{}
	sel := affectedSelection{}
	for _, name := range names {
		t := plan.Targets[name]
		r, err := request.Translate(name, requestTarget(t), request.Options{Dir: repo.wd, LookupEnv: os.LookupEnv})
		if err != nil {
			return nil, err
		}
		in, err := inputs.Of(inputs.Solve{Attrs: r.Attrs, Locals: r.Locals})
		if err != nil {
			return nil, fmt.Errorf("target %q: %w", name, err)
		}
		deps[name] = slices.Sorted(maps.Values(in.Deps))
		if why := definitionChange(name, t, refPlan, refErr, repo.rev); why != "" {
			sel[name] = why
			continue
		}
		for _, p := range changed {
			if in.Contains(p) {
				sel[name] = repo.rel(p) + " changed"
				break
			}
		}
	}
	// the users of an affected target, transitively
	for grown := true; grown; {
		grown = false
		for _, name := range names {
			if _, ok := sel[name]; ok {
				continue
			}
			for _, d := range deps[name] {
				if _, ok := sel[d]; ok {
					sel[name] = "uses " + d + " (target:)"
					grown = true
					break
				}
			}
		}
	}
	if w == nil {
		return sel, nil
	}
	if o.why {
		for _, name := range names {
			if why, ok := sel[name]; ok {
				fmt.Fprintf(w, "%s: %s\n", name, why)
			}
		}
	}
	if len(sel) == 0 {
		fmt.Fprintf(w, "no target is affected since %s\n", o.affectedSince)
	}
	return sel, nil
}

// definitionChange compares the target's --print JSON with the one at the
// revision; "" when equal.
func definitionChange(name string, t *bake.Target, refPlan *bake.Plan, refErr error, rev string) string {
	if refErr != nil {
		return fmt.Sprintf("the bake files at %s do not evaluate (%v)", rev, refErr)
	}
	old, ok := refPlan.Targets[name]
	if !ok {
		return "not defined at " + rev
	}
	keys, err := jsonDiff(old, t)
	if err != nil {
		return "definition changed"
	}
	if len(keys) == 0 {
		return ""
	}
	return "definition changed (" + strings.Join(keys, ", ") + ")"
}

// jsonDiff names the top-level keys of the two values' JSON that differ,
// and within an object-valued key (args, labels, contexts) the entries.
func jsonDiff(a, b any) ([]string, error) {
	ma, err := jsonObject(a)
	if err != nil {
		return nil, err
	}
	mb, err := jsonObject(b)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, k := range unionKeys(ma, mb) {
		va, vb := ma[k], mb[k]
		if reflect.DeepEqual(va, vb) {
			continue
		}
		oa, okA := va.(map[string]any)
		ob, okB := vb.(map[string]any)
		if !okA || !okB {
			keys = append(keys, k)
			continue
		}
		for _, sub := range unionKeys(oa, ob) {
			if !reflect.DeepEqual(oa[sub], ob[sub]) {
				keys = append(keys, k+"."+sub)
			}
		}
	}
	return keys, nil
}

func jsonObject(v any) (map[string]any, error) {
	dt, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(dt, &m)
}

func unionKeys(a, b map[string]any) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// planAtRevision evaluates the same bake files, as they are at the
// revision, with the same flags, variables and environment. Requested
// names the revision does not define are left out (their targets are then
// new); when none is left the plan is empty.
func planAtRevision(ctx context.Context, repo *gitRepo, lo bake.LoadOptions) (*bake.Plan, error) {
	lo.ReadFiles = repo.readBakeFiles
	plan, _, err := bake.Load(ctx, lo)
	if err == nil {
		return plan, nil
	}
	cfg, _, cfgErr := bake.LoadConfig(ctx, lo)
	if cfgErr != nil {
		return nil, cfgErr
	}
	requested := lo.Targets
	if len(requested) == 0 {
		requested = []string{"default"}
	}
	var known []string
	for _, name := range requested {
		if definesName(cfg, name) {
			known = append(known, name)
		}
	}
	if len(known) == len(requested) {
		return nil, err // not a name missing: the files at the revision fail
	}
	if len(known) == 0 {
		return &bake.Plan{Targets: map[string]*bake.Target{}}, nil
	}
	lo.Targets = known
	plan, _, err = bake.Load(ctx, lo)
	return plan, err
}

// definesName reports whether cfg has a target or group of that name, or
// the name is a pattern (which may match nothing at a revision).
func definesName(cfg *bake.Config, name string) bool {
	if strings.ContainsAny(name, "*?[") {
		return true
	}
	name = strings.ReplaceAll(name, ".", "_")
	for _, t := range cfg.Targets {
		if t.Name == name {
			return true
		}
	}
	for _, g := range cfg.Groups {
		if g.Name == name {
			return true
		}
	}
	return false
}

// affectedPlan keeps, for --print, the affected targets and the groups
// that still have members (their member lists cut to those).
func affectedPlan(plan *bake.Plan, sel affectedSelection) *bake.Plan {
	out := &bake.Plan{Targets: map[string]*bake.Target{}, Groups: map[string]*bake.Group{}, InheritsCycles: plan.InheritsCycles}
	for name, t := range plan.Targets {
		if _, ok := sel[name]; ok {
			out.Targets[name] = t
		}
	}
	// a group member is a target or another group: cut until nothing changes
	keep := func(m string) bool {
		_, t := out.Targets[m]
		_, g := out.Groups[m]
		return t || g
	}
	for name, g := range plan.Groups {
		out.Groups[name] = g
	}
	for changed := true; changed; {
		changed = false
		for name, g := range out.Groups {
			members := slices.DeleteFunc(slices.Clone(g.Targets), func(m string) bool { return !keep(m) })
			if len(members) == len(g.Targets) {
				continue
			}
			changed = true
			if len(members) == 0 {
				delete(out.Groups, name)
				continue
			}
			ng := *g
			ng.Targets = members
			out.Groups[name] = &ng
		}
	}
	return out
}

// buildPlanAffected keeps, for building, the affected targets and the
// targets they use through `target:` (built from cache: a dependent needs
// their result).
func buildPlanAffected(plan *bake.Plan, sel affectedSelection) (*bake.Plan, error) {
	out := &bake.Plan{Targets: map[string]*bake.Target{}, Groups: plan.Groups, InheritsCycles: plan.InheritsCycles}
	var visit func(name string)
	visit = func(name string) {
		t, ok := plan.Targets[name]
		if !ok {
			return
		}
		if _, done := out.Targets[name]; done {
			return
		}
		out.Targets[name] = t
		for _, v := range t.Contexts {
			if dep, ok := strings.CutPrefix(strings.TrimPrefix(v, "cwd://"), "target:"); ok {
				visit(dep)
			}
		}
	}
	for name := range sel {
		visit(name)
	}
	return out, nil
}

// affectedConfig is what --list shows with --affected-since: the affected
// targets of those requested (every target of the files when none is
// named), without groups or the targets only reached through `target:`.
func affectedConfig(ctx context.Context, o *bakeOptions, lo bake.LoadOptions, cfg *bake.Config, w io.Writer) (*bake.Config, error) {
	if len(lo.Targets) == 0 {
		for _, t := range cfg.Targets {
			if !strings.HasPrefix(t.Name, "_") { // private: --list hides them
				lo.Targets = append(lo.Targets, t.Name)
			}
		}
		if len(lo.Targets) == 0 {
			return &bake.Config{}, nil
		}
	}
	plan, _, err := bake.Load(ctx, lo)
	if err != nil {
		return nil, err
	}
	sel, err := selectAffected(ctx, o, lo, plan, w)
	if err != nil {
		return nil, err
	}
	out := &bake.Config{}
	for _, t := range cfg.Targets {
		if pt, ok := plan.Targets[t.Name]; ok && !pt.Linked() {
			if _, ok := sel[t.Name]; ok {
				out.Targets = append(out.Targets, t)
			}
		}
	}
	return out, nil
}

// writeAffectedList is bake.WriteTargetList, except that no target prints
// [] and not null in JSON: a CI matrix reads it (fromJSON of null fails).
func writeAffectedList(w io.Writer, format string, cfg *bake.Config) error {
	if format == "json" && len(cfg.Targets) == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	return bake.WriteTargetList(w, format, cfg)
}
