package trace

import "testing"

// A target's build steps: its own, cache hits counted; a step it shares
// with a target it uses is that target's; the frontend's and exporters'
// steps are not build steps.
func TestSteps(t *testing.T) {
	r := New(t0)
	record(r, "base", nil,
		step{id: "i", name: "[internal] load build definition from Dockerfile", start: 0, end: 1},
		step{id: "a", name: "[1/2] FROM busybox", start: 0, end: 1, cached: true},
		step{id: "b", name: "[linux/arm64 build 2/2] RUN make", start: 1, end: 2},
		step{id: "e", name: "exporting to client directory", start: 2, end: 3})
	record(r, "app", []string{"base"},
		step{id: "a", name: "[1/3] FROM busybox", start: 0, end: 1, cached: true},
		step{id: "c", name: "[2/3] COPY . .", start: 2, end: 3, cached: true},
		step{id: "d", name: "[3/3] RUN test", start: 3, end: 4})
	for target, want := range map[string][2]int{"base": {1, 2}, "app": {1, 2}, "none": {0, 0}} {
		if c, n := r.Steps(target); c != want[0] || n != want[1] {
			t.Errorf("%s: %d of %d cached, want %d of %d", target, c, n, want[0], want[1])
		}
	}
}
