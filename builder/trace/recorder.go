// Package trace records where a run's time goes: every BuildKit vertex of
// every target's progress stream, and kiln's own phases (load, waiting for
// a --jobs slot, solve, export), so that the run can be written as a Chrome
// trace-event file and its critical path printed in the summary.
package trace

import (
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/moby/buildkit/client"
)

// Vertex is one BuildKit step of one target's solve.
type Vertex struct {
	Target   string
	Digest   string
	Name     string // as BuildKit named it: "[linux/arm64 base 2/3] RUN make"
	Platform string // "linux/arm64", or "" for a step common to every platform
	Label    string // Name without its platform and stage prefix: "RUN make"
	Inputs   []string
	Start    time.Time
	End      time.Time // zero when the step never completed
	Cached   bool
	Error    string
}

// Phase is a span of kiln's own work on a target (or of the whole run when
// Target is "").
type Phase struct {
	Target     string
	Name       string
	Start, End time.Time
}

// Recorder collects a run. Its methods are safe for concurrent use.
type Recorder struct {
	mu       sync.Mutex
	vertices map[string]map[string]*Vertex // target → digest → vertex
	order    []*Vertex
	phases   []Phase
	deps     map[string][]string
	solved   map[string]time.Time
	start    time.Time
}

// New starts a recording at start.
func New(start time.Time) *Recorder {
	return &Recorder{vertices: map[string]map[string]*Vertex{}, deps: map[string][]string{}, solved: map[string]time.Time{}, start: start}
}

// Observe records one status update of target's solve, as BuildKit sent it
// (before any display renames the vertices).
func (r *Recorder) Observe(target string, st *client.SolveStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.vertices[target]
	if m == nil {
		m = map[string]*Vertex{}
		r.vertices[target] = m
	}
	for _, v := range st.Vertexes {
		d := v.Digest.String()
		x := m[d]
		if x == nil {
			x = &Vertex{Target: target, Digest: d}
			m[d] = x
			r.order = append(r.order, x)
		}
		x.Name = v.Name
		x.Platform, x.Label = splitName(v.Name)
		x.Inputs = x.Inputs[:0]
		for _, in := range v.Inputs {
			x.Inputs = append(x.Inputs, in.String())
		}
		if v.Started != nil {
			x.Start = *v.Started
		}
		if v.Completed != nil {
			x.End = *v.Completed
		}
		x.Cached = x.Cached || v.Cached
		if v.Error != "" {
			x.Error = v.Error
		}
	}
}

// AddPhase records a span of kiln's own work.
func (r *Recorder) AddPhase(target, name string, start, end time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.phases = append(r.phases, Phase{Target: target, Name: name, Start: start, End: end})
}

// Started records that target's solve started at t, using deps' results:
// the time since the last of them was solved (or since the run started)
// was spent waiting for a --jobs slot.
func (r *Recorder) Started(target string, deps []string, t time.Time) {
	r.mu.Lock()
	ready := r.start
	for _, d := range deps {
		if s := r.solved[d]; s.After(ready) {
			ready = s
		}
	}
	r.deps[target] = append([]string(nil), deps...)
	r.mu.Unlock()
	if t.Sub(ready) >= time.Millisecond {
		r.AddPhase(target, PhaseWait, ready, t)
	}
}

// Solved records that target's result was ready for its dependents at t.
func (r *Recorder) Solved(target string, t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.solved[target] = t
}

// The names of kiln's phases.
const (
	PhaseLoad   = "load"
	PhaseWait   = "wait for --jobs slot"
	PhaseSolve  = "solve"
	PhaseHold   = "hold result for dependents"
	PhaseExport = "export"
	PhasePush   = "export and push"
)

// Vertices returns the recorded steps in the order they first appeared.
func (r *Recorder) Vertices() []Vertex {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Vertex, len(r.order))
	for i, v := range r.order {
		out[i] = *v
		out[i].Inputs = append([]string(nil), v.Inputs...)
	}
	inheritPlatforms(out)
	return out
}

// inheritPlatforms gives a step whose name has no platform the platform of
// its inputs when they agree: the Dockerfile frontend names only a stage's
// first step "[linux/arm64 1/3] ..." and the next ones "[2/3] ...".
func inheritPlatforms(vs []Vertex) {
	byKey := map[string]int{}
	for i, v := range vs {
		byKey[v.Target+"\x00"+v.Digest] = i
	}
	done := make([]bool, len(vs))
	var resolve func(i int, depth int) string
	resolve = func(i, depth int) string {
		if done[i] || depth > len(vs) {
			return vs[i].Platform
		}
		if vs[i].Platform == "" && !strings.HasPrefix(vs[i].Name, "[internal]") {
			p, agree := "", true
			for _, in := range vs[i].Inputs {
				j, ok := byKey[vs[i].Target+"\x00"+in]
				if !ok {
					continue
				}
				q := resolve(j, depth+1)
				if p != "" && q != p {
					agree = false
				}
				if q != "" {
					p = q
				}
			}
			if agree {
				vs[i].Platform = p
			}
		}
		done[i] = true
		return vs[i].Platform
	}
	for i := range vs {
		resolve(i, 0)
	}
}

// Phases returns kiln's recorded phases.
func (r *Recorder) Phases() []Phase {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Phase(nil), r.phases...)
}

// Deps returns the targets each target used (target: contexts).
func (r *Recorder) Deps() map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]string{}
	for k, v := range r.deps {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// stagePrefix is the Dockerfile frontend's "[platform stage n/m] " prefix
// of a multi-platform build, or "[stage n/m] " of a single one.
var stagePrefix = regexp.MustCompile(`^\[([^\]]*)\] (.*)$`)

// splitName returns the platform a vertex name is for and the name without
// the prefix, keeping prefixes that say more than the stage ("[internal]").
func splitName(name string) (platform, label string) {
	m := stagePrefix.FindStringSubmatch(name)
	if m == nil {
		return "", name
	}
	fields := splitFields(m[1])
	if len(fields) > 0 && isPlatform(fields[0]) {
		return fields[0], m[2]
	}
	if len(fields) > 0 && fields[0] == "internal" {
		return "", name
	}
	return "", m[2]
}

func splitFields(s string) []string {
	var out []string
	start := -1
	for i, c := range s {
		if c == ' ' {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

var platformRe = regexp.MustCompile(`^[a-z][a-z0-9]*/[a-z0-9_]+(/[a-z0-9]+)?$`)

func isPlatform(s string) bool { return platformRe.MatchString(s) }
