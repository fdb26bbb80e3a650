package trace

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// step is one vertex of a recorded stream: seconds from t0.
type step struct {
	id, name   string
	start, end float64
	inputs     []string
	cached     bool
	err        string
}

// stream is a target's progress stream as BuildKit sends it: one update
// when each step starts and one when it completes.
func stream(steps ...step) []*client.SolveStatus {
	var out []*client.SolveStatus
	at := func(s float64) *time.Time { t := t0.Add(time.Duration(s * float64(time.Second))); return &t }
	for _, s := range steps {
		v := &client.Vertex{Digest: digest.FromString(s.id), Name: s.name, Started: at(s.start), Cached: s.cached}
		for _, in := range s.inputs {
			v.Inputs = append(v.Inputs, digest.FromString(in))
		}
		out = append(out, &client.SolveStatus{Vertexes: []*client.Vertex{v}})
		done := *v
		done.Completed, done.Error = at(s.end), s.err
		out = append(out, &client.SolveStatus{Vertexes: []*client.Vertex{&done}})
	}
	return out
}

func record(r *Recorder, target string, deps []string, steps ...step) {
	r.Started(target, deps, t0)
	for _, st := range stream(steps...) {
		r.Observe(target, st)
	}
}

func TestCriticalPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(r *Recorder)
		want string
	}{{
		name: "fan-in: the slower of two stages, then what joins them",
		run: func(r *Recorder) {
			record(r, "app", nil,
				step{id: "a", name: "[linux/amd64 a 1/2] RUN make a", start: 0, end: 5},
				step{id: "b", name: "[linux/amd64 b 1/2] RUN make b", start: 0, end: 2},
				step{id: "c", name: "[linux/amd64 final 2/2] COPY --from=a --from=b", start: 5, end: 6, inputs: []string{"a", "b"}},
				step{id: "x", name: "exporting to image", start: 6, end: 7})
		},
		want: "critical path 7.0 s of 7.0 s: app/linux/amd64 RUN make a (5.0 s) → app/linux/amd64 COPY --from=a --from=b (1.0 s) → app exporting to image (1.0 s); 0 of 4 steps cached",
	}, {
		name: "fan-out: the slowest of the targets using base",
		run: func(r *Recorder) {
			record(r, "base", nil,
				step{id: "make", name: "[linux/arm64 1/2] RUN make", start: 0, end: 4},
				step{id: "bx", name: "exporting to image", start: 4, end: 4.5})
			r.Solved("base", t0.Add(4*time.Second))
			record(r, "api", []string{"base"},
				step{id: "copy", name: "[linux/arm64 2/2] COPY api /srv", start: 4.5, end: 5},
				step{id: "ax", name: "exporting to image", start: 5, end: 5.5})
			record(r, "web", []string{"base"},
				step{id: "site", name: "[linux/arm64 2/2] RUN build-site", start: 4.5, end: 8},
				step{id: "wx", name: "exporting to image", start: 8, end: 9})
		},
		want: "critical path 9.0 s of 9.0 s: base/linux/arm64 RUN make (4.0 s) → base exporting to image (0.5 s) → web/linux/arm64 RUN build-site (3.5 s) → web exporting to image (1.0 s); 0 of 6 steps cached",
	}, {
		name: "a cached dependency takes no time, is not listed, and its step repeated in the dependent's stream counts once",
		run: func(r *Recorder) {
			record(r, "base", nil,
				step{id: "make", name: "[linux/amd64 1/2] RUN make", start: 0, end: 0, cached: true},
				step{id: "bx", name: "exporting to image", start: 0, end: 0.5})
			record(r, "api", []string{"base"},
				step{id: "make", name: "[linux/amd64 1/2] RUN make", start: 0.5, end: 0.5, cached: true},
				step{id: "run", name: "[2/2] RUN go build", start: 0.5, end: 3.5, inputs: []string{"make"}},
				step{id: "ax", name: "exporting to image", start: 3.5, end: 4})
		},
		want: "critical path 4.0 s of 4.0 s: base exporting to image (0.5 s) → api/linux/amd64 RUN go build (3.0 s) → api exporting to image (0.5 s); 1 of 4 steps cached",
	}, {
		name: "an export held for a dependent follows the dependent",
		run: func(r *Recorder) {
			record(r, "base", nil,
				step{id: "make", name: "[linux/arm64 1/1] RUN make", start: 0, end: 1},
				step{id: "bx", name: "exporting to oci image format", start: 6, end: 6.5})
			r.Solved("base", t0.Add(time.Second))
			record(r, "api", []string{"base"},
				step{id: "run", name: "[linux/arm64 2/2] RUN test", start: 1, end: 5},
				step{id: "ax", name: "exporting to oci image format", start: 5, end: 6})
		},
		want: "critical path 6.5 s of 6.5 s: base/linux/arm64 RUN make (1.0 s) → api/linux/arm64 RUN test (4.0 s) → api exporting to oci image format (1.0 s) → base exporting to oci image format (0.5 s); 0 of 4 steps cached",
	}, {
		name: "a failure ends the path at the failed step",
		run: func(r *Recorder) {
			record(r, "ok", nil,
				step{id: "fine", name: "[1/1] RUN true", start: 0, end: 2})
			record(r, "bad", nil,
				step{id: "ctx", name: "[internal] load build context", start: 0, end: 0.5},
				step{id: "boom", name: "[2/2] RUN false", start: 0.5, end: 3, inputs: []string{"ctx"}, err: "process did not complete successfully: exit code: 1"})
		},
		want: "critical path 3.0 s of 3.0 s: bad [internal] load build context (0.5 s) → bad RUN false (2.5 s) failed; 0 of 3 steps cached",
	}, {
		name: "a --jobs wait of a target on the chain is counted, not another target's steps",
		run: func(r *Recorder) {
			record(r, "one", nil, step{id: "a", name: "RUN a", start: 0, end: 2})
			r.Started("two", nil, t0.Add(2*time.Second))
			for _, st := range stream(step{id: "b", name: "RUN b", start: 2, end: 3}) {
				r.Observe("two", st)
			}
		},
		want: "critical path 1.0 s of 3.0 s: two RUN b (1.0 s); waited 2.0 s for a --jobs slot; 0 of 2 steps cached",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(t0)
			tc.run(r)
			if got := r.CriticalPath().String(); got != tc.want {
				t.Errorf("got\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}

func TestWriteChrome(t *testing.T) {
	r := New(t0)
	record(r, "app", nil,
		step{id: "a", name: "[linux/amd64 1/2] RUN a", start: 0, end: 2},
		step{id: "b", name: "[linux/arm64 1/2] RUN a", start: 0, end: 3},
		step{id: "c", name: "[linux/arm64 2/2] RUN c", start: 1, end: 2, cached: true},
		step{id: "x", name: "exporting to image", start: 3, end: 4, err: "no space"})
	r.AddPhase("", PhaseLoad, t0.Add(-time.Second), t0)
	var buf bytes.Buffer
	if err := r.WriteChrome(&buf); err != nil {
		t.Fatal(err)
	}
	var f File
	if err := json.Unmarshal(buf.Bytes(), &f); err != nil {
		t.Fatal(err)
	}
	threads := map[int]string{}
	got := map[string]Event{}
	for _, e := range f.TraceEvents {
		if e.Name == "thread_name" {
			threads[e.Tid] = e.Args["name"].(string)
		}
		if e.Ph == "X" {
			got[threads[e.Tid]+" "+e.Name+" "+e.Cat] = e
		}
	}
	for key, ts := range map[string]int64{
		"kiln load kiln":                  0,
		"app/linux/amd64 RUN a vertex":    1e6,
		"app/linux/arm64 RUN a vertex":    1e6,
		"app/linux/arm64 #2 RUN c cached": 2e6, // overlaps RUN a on its platform: second lane
		"app exporting to image error":    4e6,
	} {
		e, ok := got[key]
		if !ok {
			t.Errorf("no span %q in %v", key, got)
			continue
		}
		if e.Ts != ts {
			t.Errorf("%s: ts %d, want %d", key, e.Ts, ts)
		}
	}
	if e := got["app exporting to image error"]; e.Args["error"] != "no space" || e.Dur != 1e6 {
		t.Errorf("export span %+v", e)
	}
}
