package pool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/kiln-build/kiln/builder/pool/join"
	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// A multi-platform target is split, on a pool of several nodes, into one
// single-platform solve per platform, each placed on its own (a native
// node where there is one), and the parts are joined into what one node
// would have written (package join). A target is split only when every
// output can be joined: pushes (one image index, tags at the release),
// oci and docker outputs to a file or directory, and local directories.
// A target: chain is split as a whole, each platform on one node
// (chainsplit.go). Not split: a target with index annotations, a --load, a
// tar output or stdout, nor a chain with any such target.

// splittable reports whether r can be split over several nodes.
func splittable(r *request.Request) bool {
	if r.Call != nil || len(UnitPlatforms(r)) < 2 {
		return false
	}
	for _, e := range r.Exports {
		for k := range e.Attrs {
			if strings.HasPrefix(k, "annotation-index") {
				return false
			}
		}
		switch {
		case e.Push() && e.Attrs["name"] != "":
		case (e.Type == "oci" || e.Type == "docker") && !e.Load && e.File != "-" && (e.File != "" || e.Dir != ""):
		case e.Type == "local" && e.Dir != "":
		default:
			return false
		}
	}
	return true
}

// part is one platform's solve of a split target.
type part struct {
	platform string
	req      *request.Request
	push     *request.Request // the part's pushes, when req has file outputs
	node     string
	resp     map[string]string
}

// solveSplit solves r's platforms at once, each where the Placer puts it,
// then joins them. tmp holds the parts' file outputs until the join.
func (s *Solver) solveSplit(ctx context.Context, r *request.Request, step *schedule.Step, pl *Placement) (map[string]string, error) {
	tmp, err := os.MkdirTemp("", "kiln-split-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	plats := UnitPlatforms(r)
	parts := make([]*part, len(plats))
	for i, p := range plats {
		sub := *r
		sub.Attrs = maps.Clone(r.Attrs)
		sub.Attrs["platform"] = p
		sub.Exports = nil
		var pushes []request.Export
		for j, e := range r.Exports {
			e.Attrs = maps.Clone(e.Attrs)
			dir := filepath.Join(tmp, fmt.Sprint(j), strings.ReplaceAll(p, "/", "_"))
			switch {
			case e.Push():
				first, err := reference.ParseNormalizedNamed(strings.TrimSpace(strings.Split(e.Attrs["name"], ",")[0]))
				if err != nil {
					return nil, fmt.Errorf("target %s: image name %q: %w", r.Target, e.Attrs["name"], err)
				}
				e.Attrs["name"] = first.Name()
				e.Attrs[string(exptypes.OptKeyPushByDigest)] = "true"
				pushes = append(pushes, e)
				continue
			case e.Type == "oci" || e.Type == "docker":
				e.Type, e.File, e.Dir = "oci", "", dir
				e.Attrs["tar"] = "false"
				e.Attrs["attestation-inline"] = "true"
			case e.Type == "local":
				e.Dir = dir
			}
			sub.Exports = append(sub.Exports, e)
		}
		parts[i] = &part{platform: p}
		// Pushes and file outputs in separate solves of the part (the
		// second all cache hits): a solve's exporter response is its
		// exporters' merged, one descriptor for all, and both the join of
		// the pushes and BuildKit's index.json of an oci directory need
		// their own.
		if len(sub.Exports) == 0 {
			sub.Exports = pushes
		} else if len(pushes) > 0 {
			push := sub
			push.Exports = pushes
			parts[i].push = s.opts.Cache.Apply(&push, s.reqs)
		}
		parts[i].req = s.opts.Cache.Apply(&sub, s.reqs)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// The parts report one result to the schedule, once all have solved:
	// the target is solved when every platform is, and its dependents'
	// parts each get the same platform's (Result.Parts). Every part's
	// solve stays open until the schedule lets the target go on.
	var mu sync.Mutex
	results := map[string]schedule.Result{}
	solved, solvedErr := make(chan struct{}), error(nil)
	partSolved := func(platform string) func(context.Context, schedule.Result) error {
		return func(ctx context.Context, res schedule.Result) error {
			mu.Lock()
			results[platform] = res
			last := len(results) == len(parts)
			mu.Unlock()
			if last {
				solvedErr = step.Solved(ctx, schedule.Result{Node: res.Node, Parts: results})
				close(solved)
			}
			select {
			case <-solved:
				return solvedErr
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
	}
	chained := s.chain[r.Target] != ""
	pl.Parts = map[string]*Placement{}
	var wg sync.WaitGroup
	errs := make([]error, len(parts))
	for i, pt := range parts {
		pp := &Placement{Start: pl.Start}
		s.mu.Lock()
		pl.Parts[pt.platform] = pp
		s.mu.Unlock()
		inputs := step.Inputs()
		if chained {
			if inputs, err = partInputs(r, inputs, pt.platform); err != nil {
				return nil, err
			}
		}
		wg.Go(func() {
			resp, err := s.place(ctx, Unit{Target: r.Target, Platforms: []string{pt.platform}}, pt.req, schedule.NewStep(inputs, partSolved(pt.platform)), pp, chained)
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", pt.platform, err)
				cancel(errs[i])
				return
			}
			s.mu.Lock()
			pt.node = pp.Node
			s.mu.Unlock()
			if pt.push != nil { // on the same node: its cache has the part
				noop := func(context.Context, schedule.Result) error { return nil }
				if resp, err = s.members[pt.node].Solver.Solve(ctx, pt.push, schedule.NewStep(inputs, noop)); err != nil {
					errs[i] = fmt.Errorf("%s: %w", pt.platform, err)
					cancel(errs[i])
					return
				}
			}
			pt.resp = resp
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return s.join(ctx, r, parts, tmp)
}

// join writes the split target's outputs from its parts, as one node
// would have, and returns the response one node would have given.
func (s *Solver) join(ctx context.Context, r *request.Request, parts []*part, tmp string) (map[string]string, error) {
	resp := map[string]string{}
	for j, e := range r.Exports {
		// as one node's outputs, into directories that may not exist yet
		for _, d := range []string{e.Dir, e.File} {
			if d != "" {
				if err := os.MkdirAll(filepath.Dir(d), 0o755); err != nil {
					return nil, fmt.Errorf("target %s: %w", r.Target, err)
				}
			}
		}
		jps := make([]join.Part, len(parts))
		for i, pt := range parts {
			jps[i] = join.Part{Platform: pt.platform, Node: pt.node}
			dir := filepath.Join(tmp, fmt.Sprint(j), strings.ReplaceAll(pt.platform, "/", "_"))
			jps[i].Layout, jps[i].Local = dir, dir
		}
		switch {
		case e.Push():
			for i, pt := range parts {
				d, err := descriptorOf(pt.resp)
				if err != nil {
					return nil, fmt.Errorf("target %s: %s on %s: %w", r.Target, pt.platform, pt.node, err)
				}
				jps[i].Manifest = d
			}
			names, repo, err := imageNames(e.Attrs["name"])
			if err != nil {
				return nil, fmt.Errorf("target %s: %w", r.Target, err)
			}
			desc, err := join.Index(ctx, join.DockerAuth(), repo, jps)
			if err != nil {
				return nil, fmt.Errorf("target %s: %w", r.Target, err)
			}
			if e.Attrs[string(exptypes.OptKeyPushByDigest)] != "true" {
				if s.opts.Atomic {
					s.release.hold(r.Target, heldTags{repo: repo, tags: names, desc: desc})
				} else if err := join.Tag(ctx, join.DockerAuth(), repo, desc, names); err != nil {
					return nil, fmt.Errorf("target %s: %w", r.Target, err)
				}
			}
			dt, _ := json.Marshal(desc)
			resp[exptypes.ExporterImageDigestKey] = desc.Digest.String()
			resp[exptypes.ExporterImageDescriptorKey] = base64.StdEncoding.EncodeToString(dt)
			resp[exptypes.ExporterImageNameKey] = strings.Join(names, ",")
		case e.Type == "oci" || e.Type == "docker":
			if e.Dir != "" {
				if err := join.Layout(jps, e.Dir); err != nil {
					return nil, fmt.Errorf("target %s: %w", r.Target, err)
				}
				continue
			}
			layout := filepath.Join(tmp, "joined", fmt.Sprint(j))
			write := join.OCITar
			if e.Type == "docker" {
				write = join.DockerTar
			}
			if err := join.Layout(jps, layout); err != nil {
				return nil, fmt.Errorf("target %s: %w", r.Target, err)
			}
			if err := join.WriteFile(e.File, write, layout); err != nil {
				return nil, fmt.Errorf("target %s: %w", r.Target, err)
			}
		case e.Type == "local":
			opt := join.LocalOptions{NoSplit: e.Attrs["platform-split"] == "false"}
			if err := join.Local(jps, e.Dir, opt); err != nil {
				return nil, fmt.Errorf("target %s: %w", r.Target, err)
			}
		}
	}
	return resp, nil
}

// descriptorOf reads the descriptor of what a solve pushed from its
// exporter response.
func descriptorOf(resp map[string]string) (ocispec.Descriptor, error) {
	var d ocispec.Descriptor
	raw, err := base64.StdEncoding.DecodeString(resp[exptypes.ExporterImageDescriptorKey])
	if err == nil {
		err = json.Unmarshal(raw, &d)
	}
	if err != nil || d.Digest == "" {
		return d, fmt.Errorf("the node reported no descriptor for its push by digest")
	}
	return d, nil
}

// imageNames are an image exporter's names as full references (a missing
// tag is latest) and the first one's repository.
func imageNames(attr string) (names []string, repo string, err error) {
	for _, n := range strings.Split(attr, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		ref, err := reference.ParseNormalizedNamed(n)
		if err != nil {
			return nil, "", fmt.Errorf("image name %q: %w", n, err)
		}
		if repo == "" {
			repo = ref.Name()
		}
		names = append(names, reference.TagNameOnly(ref).String())
	}
	return names, repo, nil
}
