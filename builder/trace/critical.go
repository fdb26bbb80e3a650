package trace

import (
	"fmt"
	"strings"
	"time"
)

// Path is the chain of steps that determined a run's wall time.
type Path struct {
	Steps  []Vertex      // first to last
	Length time.Duration // the steps' durations added up
	Wall   time.Duration // first start to last end of the run
	Wait   time.Duration // --jobs slot waits of the targets on the chain
	Cached int           // steps of the whole run that were cache hits
	Total  int           // steps of the whole run
}

// CriticalPath walks back from the step that ended last: a step's
// predecessor is its input that ended last, or, when a step ended later
// before it started (or it has no recorded input: the exporter, the
// frontend's first steps), the step that ended last before it among its
// own target's, the targets it uses (target: contexts) and the targets
// using it (an export held until they finished).
func (r *Recorder) CriticalPath() Path {
	deps := r.Deps()
	vs := ownSteps(r.Vertices(), deps)
	var p Path
	byKey := map[string]*Vertex{}
	var last *Vertex
	first := time.Time{}
	for i := range vs {
		v := &vs[i]
		p.Total++
		if v.Cached {
			p.Cached++
		}
		byKey[v.Target+"\x00"+v.Digest] = v
		if v.Start.IsZero() || v.End.IsZero() {
			continue
		}
		if first.IsZero() || v.Start.Before(first) {
			first = v.Start
		}
		if last == nil || later(v, last) {
			last = v
		}
	}
	if last == nil {
		return p
	}
	p.Wall = last.End.Sub(first)
	seen := map[*Vertex]bool{}
	onChain := map[string]bool{}
	for v := last; v != nil && !seen[v]; v = r.pred(v, vs, byKey, deps) {
		seen[v] = true
		onChain[v.Target] = true
		p.Steps = append(p.Steps, *v)
		if !v.Cached {
			p.Length += v.End.Sub(v.Start)
		}
	}
	for i, j := 0, len(p.Steps)-1; i < j; i, j = i+1, j-1 {
		p.Steps[i], p.Steps[j] = p.Steps[j], p.Steps[i]
	}
	for _, ph := range r.Phases() {
		if ph.Name == PhaseWait && onChain[ph.Target] {
			p.Wait += ph.End.Sub(ph.Start)
		}
	}
	return p
}

func (r *Recorder) pred(v *Vertex, vs []Vertex, byKey map[string]*Vertex, deps map[string][]string) *Vertex {
	var best *Vertex
	for _, in := range v.Inputs {
		for _, t := range append([]string{v.Target}, deps[v.Target]...) {
			if u := byKey[t+"\x00"+in]; u != nil && !u.End.IsZero() && (best == nil || later(u, best)) {
				best = u
			}
		}
	}
	before := func(targets ...string) *Vertex {
		var b *Vertex
		for i := range vs {
			u := &vs[i]
			if u == v || u.End.IsZero() || u.End.After(v.Start) || !contains(targets, u.Target) {
				continue
			}
			if b == nil || later(u, b) {
				b = u
			}
		}
		return b
	}
	// The target's own steps, the targets it used, and the targets using
	// it: a step that started after a dependent ended (a held export)
	// waited for that dependent.
	near := append([]string{v.Target}, deps[v.Target]...)
	for t, ds := range deps {
		if contains(ds, v.Target) {
			near = append(near, t)
		}
	}
	// An input that ended last is what the step waited for, unless
	// something else it could have waited for ended later (a dependency's
	// solve, when the input is a cache hit of the dependency).
	if b := before(near...); b != nil && (best == nil || b.End.After(best.End)) {
		return b
	}
	return best
}

// ownSteps drops the steps a target's stream repeats from the targets it
// uses: a target: context carries its target's definition, so BuildKit
// reports those steps again in the dependent's solve (run once, shared).
// They belong to the dependency, and are counted once.
func ownSteps(vs []Vertex, deps map[string][]string) []Vertex {
	has := map[string]bool{}
	for _, v := range vs {
		has[v.Target+"\x00"+v.Digest] = true
	}
	out := vs[:0]
	for _, v := range vs {
		repeated := false
		for _, d := range deps[v.Target] {
			repeated = repeated || has[d+"\x00"+v.Digest]
		}
		if !repeated {
			out = append(out, v)
		}
	}
	return out
}

// later orders steps by end, ties broken by target and name so that the
// chain does not depend on the order updates arrived in.
func later(a, b *Vertex) bool {
	if !a.End.Equal(b.End) {
		return a.End.After(b.End)
	}
	if a.Target != b.Target {
		return a.Target > b.Target
	}
	return a.Name > b.Name
}

func contains(s []string, x string) bool {
	for _, e := range s {
		if e == x {
			return true
		}
	}
	return false
}

// String is the summary's line: "critical path 41.2 s of 43.0 s:
// base/linux/arm64 RUN make (28.0 s) → …", the --jobs waits on the chain,
// and the share of steps cached. Cache hits on the chain are left out of
// the list (they took no time) but counted in the share.
func (p Path) String() string {
	if len(p.Steps) == 0 {
		return ""
	}
	var steps []string
	for _, s := range p.Steps {
		if s.Cached {
			continue
		}
		track := s.Target
		if s.Platform != "" {
			track += "/" + s.Platform
		}
		what := fmt.Sprintf("%s %s (%s)", track, shorten(s.Label, 60), seconds(s.End.Sub(s.Start)))
		if s.Error != "" {
			what += " failed"
		}
		steps = append(steps, what)
	}
	if len(steps) == 0 {
		steps = []string{"every step cached"}
	}
	line := fmt.Sprintf("critical path %s of %s: %s", seconds(p.Length), seconds(p.Wall), strings.Join(steps, " → "))
	if p.Wait > 0 {
		line += fmt.Sprintf("; waited %s for a --jobs slot", seconds(p.Wait))
	}
	return line + fmt.Sprintf("; %d of %d steps cached", p.Cached, p.Total)
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// shorten cuts a long step name (a RUN's whole script) to n runes and "…",
// runs of spaces and newlines made one space.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
