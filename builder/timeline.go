package builder

import (
	"maps"
	"slices"
	"time"

	"github.com/kiln-build/kiln/builder/trace"
)

// Trace is the run's recording: every vertex of every target and kiln's
// phases (nil for a report that ran nothing).
func (r *Report) Trace() *trace.Recorder {
	if r.progress == nil {
		return nil
	}
	return r.progress.trace
}

// phases marks kiln's phases of one solve in a recording: waiting for a
// --jobs slot (from the last dependency solved to the solve's start),
// solve, holding the result for dependents, export (and push).
type phases struct {
	rec                    *trace.Recorder
	req                    *Request
	start, solvedAt, relAt time.Time
}

func startPhases(rec *trace.Recorder, r *Request) *phases {
	p := &phases{rec: rec, req: r, start: time.Now()}
	rec.Started(r.Target, slices.Sorted(maps.Values(r.Deps)), p.start)
	return p
}

func (p *phases) solved() {
	p.solvedAt = time.Now()
	p.rec.Solved(p.req.Target, p.solvedAt)
	p.rec.AddPhase(p.req.Target, trace.PhaseSolve, p.start, p.solvedAt)
}

func (p *phases) released() {
	p.relAt = time.Now()
	if p.relAt.Sub(p.solvedAt) >= time.Millisecond {
		p.rec.AddPhase(p.req.Target, trace.PhaseHold, p.solvedAt, p.relAt)
	}
}

func (p *phases) end() {
	now := time.Now()
	switch {
	case p.relAt.IsZero() && p.solvedAt.IsZero():
		p.rec.AddPhase(p.req.Target, trace.PhaseSolve, p.start, now) // failed before a result
	case p.req.Call != nil:
	case p.req.Pushes():
		p.rec.AddPhase(p.req.Target, trace.PhasePush, p.relAt, now)
	case !p.relAt.IsZero():
		p.rec.AddPhase(p.req.Target, trace.PhaseExport, p.relAt, now)
	}
}
