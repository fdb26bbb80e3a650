package report

import (
	"context"
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	"github.com/kiln-build/kiln/builder/node"
	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// ExplainFailures adds what a user can do to failures BuildKit reports
// obscurely: a RUN for a platform the node cannot execute fails with
// "exec format error"; say which platform lacks an emulator.
func ExplainFailures(ctx context.Context, n node.Node, rep *Report) {
	var workers []ocispecs.Platform
	listed := false
	for i, o := range rep.Outcomes {
		if o.Status != schedule.Failed || o.Err == nil {
			continue
		}
		_, log := rep.FailedStep(o.Target)
		if !strings.Contains(o.Err.Error()+strings.Join(log, "\n"), "exec format error") {
			continue
		}
		if !listed {
			listed = true
			ws, err := n.Client().ListWorkers(ctx)
			if err != nil {
				return
			}
			for _, w := range ws {
				workers = append(workers, w.Platforms...)
			}
		}
		if missing := unsupported(rep.Requests[o.Target], workers); len(missing) > 0 {
			rep.Outcomes[i].Err = fmt.Errorf("%w (%s cannot run on %s: no emulator for it is registered in binfmt_misc; install qemu-user-static (Debian/Ubuntu: apt-get install qemu-user-static) or register one with binfmt)",
				o.Err, strings.Join(missing, ", "), n.Name())
		}
	}
}

// unsupported lists the request's platforms that no worker of the node runs.
func unsupported(r *request.Request, workers []ocispecs.Platform) []string {
	if r == nil || len(workers) == 0 {
		return nil
	}
	m := platforms.Any(workers...)
	var out []string
	for _, s := range strings.Split(r.Attrs["platform"], ",") {
		p, err := platforms.Parse(s)
		if s == "" || err != nil {
			continue
		}
		if !m.Match(p) {
			out = append(out, platforms.Format(p))
		}
	}
	return out
}
