package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/containerd/platforms"
	"github.com/docker/buildx/util/buildflags"
	"github.com/kiln-build/kiln/builder/node"
	"github.com/kiln-build/kiln/builder/pool"
	"github.com/kiln-build/kiln/builder/pool/join"
	"github.com/kiln-build/kiln/builder/progress"
	"github.com/kiln-build/kiln/builder/report"
	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
	"github.com/kiln-build/kiln/builder/solve"
	"github.com/kiln-build/kiln/internal/atomicfile"
	"github.com/moby/buildkit/client"
)

// bakePool is the pool a bake run builds on: every --builder (addresses,
// and the nodes of buildx builders named), else --pool FILE, else
// $BUILDX_BUILDER, else the default pool file. nil means one node given
// by address, built on exactly as before pools existed.
func bakePool(o *bakeOptions, lookupEnv func(string) (string, bool)) (*pool.Pool, error) {
	var p *pool.Pool
	var err error
	switch env, _ := lookupEnv("BUILDX_BUILDER"); {
	case len(o.builders) > 0:
		p, err = loadPool("", o.builders, lookupEnv)
	case o.poolFile != "":
		p, err = pool.LoadFile(o.poolFile)
	case strings.TrimSpace(env) != "":
		p, err = loadPool("", []string{env}, lookupEnv)
	default:
		if f := pool.DefaultFile(lookupEnv); f != "" {
			p, err = pool.LoadFile(f)
		} else {
			p = &pool.Pool{Nodes: []pool.Node{{Name: "embedded", Address: "embedded"}}}
		}
	}
	if err != nil {
		return nil, err
	}
	if o.cacheReg != "" {
		p.CacheRegistry = o.cacheReg
	}
	if len(p.Nodes) == 1 && p.CacheRegistry == "" && p.CacheDir == "" {
		n := p.Nodes[0]
		if n.Address == n.Name && !n.TLS.Enabled() && n.MaxSolves == 0 && len(n.Platforms) == 0 {
			o.builder = n.Address
			return nil, nil
		}
	}
	return p, nil
}

// openedNode is a node of the pool that answered at start.
type openedNode struct {
	node node.Node
	cap  pool.Capacity
}

// openPool opens every node at once and asks what it builds. A node that
// does not answer is left out with a warning; none answering is an error.
func openPool(ctx context.Context, p *pool.Pool, warn io.Writer) ([]openedNode, error) {
	const timeout = 10 * time.Second
	opened := make([]*openedNode, len(p.Nodes))
	errs := make([]error, len(p.Nodes))
	var wg sync.WaitGroup
	for i, n := range p.Nodes {
		wg.Go(func() {
			nd, ws, err := openPoolNode(ctx, n, timeout)
			if err != nil {
				errs[i] = err
				return
			}
			native, emulated := splitPlatforms(ws, n.Platforms)
			opened[i] = &openedNode{node: nd, cap: pool.Capacity{Name: n.Name, Native: normalized(native), Emulated: normalized(emulated), MaxSolves: n.MaxSolves}}
		})
	}
	wg.Wait()
	var out []openedNode
	var why []string
	for i, o := range opened {
		if o != nil {
			out = append(out, *o)
			continue
		}
		msg := fmt.Sprintf("%s: %s", p.Nodes[i].Name, firstLine(errs[i].Error()))
		why = append(why, msg)
		fmt.Fprintf(warn, "WARNING: node %s left out of the pool: %s\n", p.Nodes[i].Name, firstLine(errs[i].Error()))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no node of the pool answers (%s)", strings.Join(why, "; "))
	}
	return out, nil
}

// openPoolNode opens n and asks what it builds, within timeout: a node
// that answers that is one a run can use.
func openPoolNode(ctx context.Context, n pool.Node, timeout time.Duration) (node.Node, []*client.WorkerInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	nd, err := node.Open(ctx, n.Address, node.OpenOptions{
		CACert: n.TLS.CA, Cert: n.TLS.Cert, Key: n.TLS.Key, ServerName: n.TLS.ServerName, ConnectTimeout: timeout,
	})
	if err != nil {
		return nil, nil, err
	}
	ws, err := nd.Client().ListWorkers(ctx)
	if err != nil {
		nd.Close()
		return nil, nil, err
	}
	return nd, ws, nil
}

func normalized(ps []string) []string {
	out := make([]string, 0, len(ps))
	for _, s := range ps {
		if p, err := platforms.Parse(s); err == nil {
			s = platforms.Format(platforms.Normalize(p))
		}
		out = append(out, s)
	}
	return out
}

// placementsFile keeps, per project, the node each target was built on
// last: the next run prefers it (its cache is there).
func placementsFile() string { return filepath.Join(lastRunDir(), "placements.json") }

func readPlacements() map[string]string {
	m := map[string]string{}
	if data, err := os.ReadFile(placementsFile()); err == nil {
		_ = json.Unmarshal(data, &m) // an unreadable record only loses stickiness
	}
	return m
}

func writePlacements(last map[string]string, placed map[string]pool.Placement, rep *report.Report) {
	for _, o := range rep.Outcomes {
		if p, ok := placed[o.Target]; ok && o.Status == schedule.Succeeded && p.Node != "" { // a split target has a node per platform
			last[o.Target] = p.Node
		}
	}
	// best effort: losing the record only loses stickiness; written
	// atomically, so a kill leaves the old record or the new one
	data, _ := json.Marshal(last)
	if err := os.MkdirAll(lastRunDir(), 0o755); err != nil {
		return
	}
	if tmp, err := os.CreateTemp(lastRunDir(), ".placements-*.json"); err == nil {
		_ = atomicfile.Commit(tmp, placementsFile(), 0o644, func(w io.Writer) error { _, err := w.Write(data); return err })
	}
}

// poolRun is a run over a pool: its nodes, its placement, and the tags
// its release could not write.
type poolRun struct {
	nodes   []openedNode
	solver  *pool.Solver
	tagErrs []pool.TagError
}

// runOnPool solves reqs over the nodes of p, composing the chain per node
// (its solver, labelled in the one display; its watchdog; its max-solves
// bound), then the pool's placement, the --jobs bound over the whole
// pool, the schedule; then the release of held tags and the report.
// all are the plan's requests, reqs those that run (the others are up to
// date), for buildx's warning about targets without an output.
func runOnPool(ctx context.Context, p *pool.Pool, reqs, all []*request.Request, ex schedule.Execution, o *bakeOptions, call *buildflags.CallFunc) (*report.Report, *poolRun, error) {
	nodes, err := openPool(ctx, p, os.Stderr)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		for _, n := range nodes {
			n.node.Close()
		}
	}()
	pr := &poolRun{nodes: nodes}
	if w := report.NoOutputWarning(all, pr.name()); w != "" {
		fmt.Fprintf(os.Stderr, "WARNING: %s\n", w)
	}
	env, deadline, err := solveEnv(ctx, nodes[0].node, reqs, o)
	if err != nil {
		return nil, nil, err
	}
	prog, err := progress.New(ctx, os.Stderr, o.progress, true)
	if err != nil {
		return nil, nil, err
	}
	var members []pool.Member
	for _, n := range nodes {
		ns, err := solve.New(ctx, n.node, reqs, env)
		if err != nil {
			prog.Wait()
			return nil, nil, err
		}
		defer ns.Close()
		s := schedule.Solver(ns.WithProgress(prog).WithNodeLabels(n.cap.Name))
		if !node.Embedded(n.node) {
			var unwatch func()
			s, unwatch = node.Watch(ctx, n.node, deadline, s)
			defer unwatch()
		}
		c := n.node.Client()
		members = append(members, pool.Member{Capacity: n.cap, Solver: schedule.Limit(s, n.cap.MaxSolves), Alive: func(ctx context.Context) error {
			_, err := c.ListWorkers(ctx)
			return err
		}})
	}
	pr.solver, err = pool.NewSolver(members, reqs, pool.Options{Last: readPlacements(), Retries: pool.DefaultRetries,
		Cache: pool.Cache{Registry: p.CacheRegistry, Dir: p.CacheDir}, Atomic: ex.Mode == schedule.FailFast})
	if err != nil {
		prog.Wait()
		return nil, nil, err
	}
	outcomes := schedule.Schedule{Solver: schedule.Limit(pr.solver, ex.Bound()), Exec: ex}.Run(ctx, reqs)
	rep := report.New(prog, reqs, outcomes)
	rep.MetadataWarnings = o.metadataFile != "" && call == nil && report.MetadataWarningsEnabled(os.LookupEnv)
	report.ExplainFailures(ctx, nodes[0].node, rep)
	pr.tagErrs = pr.solver.Release().Write(ctx, join.DockerAuth(), outcomes)
	return rep, pr, nil
}

// printPoolSummary is the summary's table of a pool run: where each target
// ran, how long, how much of it was cached, and whether it was moved off
// a node that stopped answering.
func printPoolSummary(w io.Writer, rep *report.Report, pr *poolRun) {
	placed := pr.solver.Placements()
	rec := rep.Trace()
	tw := tabwriter.NewWriter(w, 1, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  TARGET\tPLATFORM\tNODE\tSTATUS\tDURATION\tCACHED\tRETRIES")
	row := func(target, plat string, p pool.Placement, status schedule.Status, cached string) {
		node, dur, retries := p.Node, "-", "0"
		if node == "" {
			node = "-"
		}
		if plat == "" {
			plat = "-"
		}
		if p.Duration > 0 {
			dur = p.Duration.Round(100 * time.Millisecond).String()
		}
		if len(p.Lost) > 0 {
			retries = fmt.Sprintf("%d (%s stopped answering)", len(p.Lost), strings.Join(p.Lost, ", "))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", target, plat, node, status, dur, cached, retries)
	}
	for _, o := range rep.Outcomes {
		cached := "-"
		if rec != nil {
			if c, n := rec.Steps(o.Target); n > 0 {
				cached = fmt.Sprintf("%d/%d", c, n)
			}
		}
		plats := pool.UnitPlatforms(rep.Requests[o.Target])
		p := placed[o.Target]
		if p.Parts == nil { // one unit
			row(o.Target, strings.Join(plats, ","), p, o.Status, cached)
			continue
		}
		for i, pl := range plats { // a split target: a row per platform, its steps counted once
			if pp := p.Parts[pl]; pp != nil {
				row(o.Target, pl, *pp, o.Status, cached)
			}
			if i == 0 {
				cached = "-"
			}
		}
	}
	tw.Flush()
	if held := pr.solver.Release().Tags(); rep.Failed() && len(held) > 0 {
		var tags []string
		for _, t := range slices.Sorted(maps.Keys(held)) {
			tags = append(tags, held[t]...)
		}
		fmt.Fprintf(w, "  tags left as they were (pushed by digest only, the run failed): %s\n", strings.Join(tags, ", "))
	}
	for _, e := range pr.tagErrs {
		fmt.Fprintf(w, "ERROR: %v\n", e)
	}
}

// name is how the summary names the pool: the nodes that answered.
func (pr *poolRun) name() string {
	var nodes []pool.Node
	for _, n := range pr.nodes {
		nodes = append(nodes, pool.Node{Name: n.cap.Name})
	}
	return poolName(nodes)
}

// poolName is how a summary names a pool of these nodes.
func poolName(nodes []pool.Node) string {
	var names []string
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	return fmt.Sprintf("a pool of %d node(s) (%s)", len(names), strings.Join(names, ", "))
}
