package solve

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/kiln-build/kiln/builder/node"
	"github.com/kiln-build/kiln/builder/progress"
	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	"golang.org/x/sync/errgroup"
)

// Solver solves requests on one node through BuildKit's gateway API,
// so that a solved result can be handed to the targets that use it as a
// context before (and without) being exported.
type Solver struct {
	node     node.Node
	env      *runEnv
	progress *progress.Progress
	stop     func()
	label    string // the node's name in vertex prefixes (WithNodeLabels), "" for none
}

// Solve solves r on the node, hands the result to step, and exports it
// once step lets it.
func (s *Solver) Solve(ctx context.Context, r *request.Request, step *schedule.Step) (map[string]string, error) {
	ph := s.progress.StartPhases(r)
	defer ph.End()
	so, release, err := solveOpt(r, s.env)
	if err != nil {
		return nil, err
	}
	unpolicy, err := attachPolicy(ctx, r, s.node.Client(), &so, func() chan *client.SolveStatus { return s.progress.Unprefixed(r.Target) })
	if err != nil {
		release(err)
		return nil, err
	}
	defer func() { unpolicy(err) }()
	req := gateway.SolveRequest{Frontend: so.Frontend, FrontendOpt: maps.Clone(so.FrontendAttrs)}
	for name, st := range r.Inputs {
		def, err := st.Marshal(ctx)
		if err != nil {
			release(err)
			return nil, err
		}
		if req.FrontendInputs == nil {
			req.FrontendInputs = map[string]*pb.Definition{}
		}
		req.FrontendInputs[name] = def.ToPB()
	}
	if err := useDeps(ctx, &req, r, step.Inputs()); err != nil {
		release(err)
		return nil, err
	}
	// The solve's own attributes name the inputs too (they are what the
	// build history and provenance record), as in buildx.
	so.FrontendAttrs = maps.Clone(req.FrontendOpt)
	so.Frontend = ""
	var meta map[string][]byte
	resp, err := s.node.Client().Build(ctx, so, "kiln", func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		res, err := c.Solve(ctx, req)
		if err != nil {
			return nil, err
		}
		meta = res.Metadata
		if err := evaluate(ctx, res); err != nil {
			return nil, err
		}
		ph.Solved()
		if err := step.Solved(ctx, schedule.Result{Node: s.node.Name(), Gateway: res}); err != nil {
			return nil, err
		}
		ph.Released()
		return res, nil
	}, s.channel(r))
	unpolicy(err)
	if lerr := release(err); err == nil && lerr != nil {
		err = lerr
	}
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	maps.Copy(out, resp.ExporterResponse)
	if r.Call != nil {
		for k, v := range meta {
			out[k] = string(v)
		}
	} else {
		out["buildx.build.ref"] = fmt.Sprintf("kiln/%s/%s", strings.ReplaceAll(s.node.Name(), "/", "_"), so.Ref)
		// Like buildx, the provenance comes from the build's history record;
		// a node without the history API only loses that metadata key.
		_ = recordProvenance(ctx, s.node.Client(), so.Ref, s.env.provenance, out)
	}
	return out, nil
}

// evaluate makes BuildKit run every step of the result now, so that a
// failure surfaces before the result is handed on or exported.
func evaluate(ctx context.Context, res *gateway.Result) error {
	eg, ctx := errgroup.WithContext(ctx)
	res.EachRef(func(ref gateway.Reference) error {
		if ref != nil {
			eg.Go(func() error { return ref.Evaluate(ctx) })
		}
		return nil
	})
	return eg.Wait()
}

// useDeps passes the solved results of the request's target: contexts to
// the frontend as inputs, per platform when the dependency is
// multi-platform, with the image config so that the dependent inherits
// ENV, WORKDIR and the like (as buildx's waitContextDeps).
func useDeps(ctx context.Context, req *gateway.SolveRequest, r *request.Request, inputs map[string]schedule.Result) error {
	for name, dep := range r.Deps {
		res := inputs[dep].Gateway
		if res == nil {
			return fmt.Errorf("context %s: no result from target %s", name, dep)
		}
		key := "context:" + name
		// buildx names the input after its result key, "<node index>-<target>":
		// the same name keeps provenance identical to a single-node buildx.
		input := "0-" + dep
		add := func(input, attr string, ref gateway.Reference, cfgKey string) error {
			st := llb.Scratch()
			if ref != nil {
				var err error
				if st, err = ref.ToState(); err != nil {
					return err
				}
			}
			def, err := st.Marshal(ctx)
			if err != nil {
				return err
			}
			if req.FrontendInputs == nil {
				req.FrontendInputs = map[string]*pb.Definition{}
			}
			req.FrontendInputs[input] = def.ToPB()
			req.FrontendOpt[attr] = "input:" + input
			if cfg, ok := res.Metadata[cfgKey]; ok {
				dt, err := json.Marshal(map[string][]byte{exptypes.ExporterImageConfigKey: cfg})
				if err != nil {
					return err
				}
				req.FrontendOpt["input-metadata:"+input] = string(dt)
			}
			return nil
		}
		if len(res.Refs) > 0 {
			for p, ref := range res.Refs {
				if err := add(input+"::"+p, key+"::"+p, ref, exptypes.ExporterImageConfigKey+"/"+p); err != nil {
					return err
				}
			}
			delete(req.FrontendOpt, key)
		}
		if res.Ref != nil {
			if err := add(input, key, res.Ref, exptypes.ExporterImageConfigKey); err != nil {
				return err
			}
		}
	}
	return nil
}

// channel is r's progress channel, its vertices prefixed with the
// platform and node when s has a label.
func (s *Solver) channel(r *request.Request) chan *client.SolveStatus {
	if s.label == "" {
		return s.progress.Channel(r.Target)
	}
	label := r.Target + "@" + s.label
	if p := r.Attrs["platform"]; p != "" {
		label = r.Target + " " + p + "@" + s.label
	}
	return s.progress.ChannelAs(r.Target, label)
}
