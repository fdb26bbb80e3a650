package progress

import (
	"maps"
	"slices"
	"time"

	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/trace"
)

// Trace is the run's recording: every vertex of every target and kiln's
// phases.
func (p *Progress) Trace() *trace.Recorder { return p.trace }

// Phases marks kiln's phases of one solve in a recording: waiting for a
// --jobs slot (from the last dependency solved to the solve's start),
// solve, holding the result for dependents, export (and push).
type Phases struct {
	rec                    *trace.Recorder
	req                    *request.Request
	start, solvedAt, relAt time.Time
}

// StartPhases starts recording the phases of r's solve.
func (p *Progress) StartPhases(r *request.Request) *Phases {
	ph := &Phases{rec: p.trace, req: r, start: time.Now()}
	p.trace.Started(r.Target, slices.Sorted(maps.Values(r.Deps)), ph.start)
	return ph
}

// Solved marks the result solved.
func (p *Phases) Solved() {
	p.solvedAt = time.Now()
	p.rec.Solved(p.req.Target, p.solvedAt)
	p.rec.AddPhase(p.req.Target, trace.PhaseSolve, p.start, p.solvedAt)
}

// Released marks the result released for export.
func (p *Phases) Released() {
	p.relAt = time.Now()
	if p.relAt.Sub(p.solvedAt) >= time.Millisecond {
		p.rec.AddPhase(p.req.Target, trace.PhaseHold, p.solvedAt, p.relAt)
	}
}

// End marks the solve ended.
func (p *Phases) End() {
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
