// Package report tells how a run ended: the summary on stderr (with the
// hints that make obscure BuildKit failures actionable), the metadata file
// (--metadata-file), the results of --call/--check subrequests, the build
// warnings, and buildx's warning for targets that export nothing.
package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kiln-build/kiln/builder/progress"
	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
	"github.com/kiln-build/kiln/builder/trace"
	"github.com/moby/buildkit/client"
)

// Report is how a run ended.
type Report struct {
	Outcomes []schedule.Outcome
	Warnings []client.VertexWarning
	progress *progress.Progress
	// MetadataWarnings puts the run's warnings in the metadata as
	// buildx.build.warnings (MetadataWarningsEnabled).
	MetadataWarnings bool
	// Requests are the run's requests, by target.
	Requests map[string]*request.Request
}

// Failed reports whether any target did not succeed.
func (r *Report) Failed() bool {
	return slices.ContainsFunc(r.Outcomes, func(o schedule.Outcome) bool { return o.Status != schedule.Succeeded })
}

// FailedStep is the name and log tail of the step that failed target.
func (r *Report) FailedStep(target string) (string, []string) {
	if r.progress == nil {
		return "", nil
	}
	return r.progress.FailedStep(target)
}

// New is the report of a run once every solve has ended: it waits for
// the display p to drain (collecting the build warnings) and keeps the
// requests for the summary and the metadata file.
func New(p *progress.Progress, reqs []*request.Request, outcomes []schedule.Outcome) *Report {
	warns, _ := p.Wait()
	rep := &Report{Outcomes: outcomes, Warnings: warns, progress: p, Requests: map[string]*request.Request{}}
	for _, r := range reqs {
		rep.Requests[r.Target] = r
	}
	return rep
}

// Trace is the run's recording: every vertex of every target and kiln's
// phases (nil for a report that ran nothing).
func (r *Report) Trace() *trace.Recorder {
	if r.progress == nil {
		return nil
	}
	return r.progress.Trace()
}

// NoOutputWarning is buildx's warning for targets that export nothing,
// or "" when every target has an output.
func NoOutputWarning(reqs []*request.Request, node string) string {
	var names []string
	for _, r := range reqs {
		if r.NoOutput && r.Call == nil {
			names = append(names, r.Target)
		}
	}
	if len(names) == 0 {
		return ""
	}
	slices.Sort(names)
	what := fmt.Sprintf("for %s target(s) with %s builder", strings.Join(names, ", "), node)
	if len(names) == 1 && names[0] == "default" {
		what = fmt.Sprintf("with %s builder", node)
	}
	return "No output specified " + what + ". Build result will only remain in the build cache. To push result image into registry use --push or to load image into docker use --load"
}
