package pool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// fakeNode stands for a BuildKit node (the placement logic needs no real
// one; the integration tests in cmd/kiln run real nodes): it records the
// solves it runs and, optionally, holds each until a barrier opens.
type fakeNode struct {
	name string
	run  *fakeRun
	fail error // every solve fails with it
}

// fakeRun is what the fake nodes of one test share.
type fakeRun struct {
	mu       sync.Mutex
	on       map[string]string // target → node that solved it
	parts    map[string]string // "target platform" → node that solved it
	running  map[string]int    // node → solves running ("" for the whole pool)
	peak     map[string]int
	barrier  chan struct{} // closed when `want` solves run at once
	opened   bool          // barrier closed
	want     int
	received map[string][]client.CacheOptionsEntry // target → cache imports seen
	ran      []string                              // "target platform@node" of every solve
	attrs    map[string]map[string]string          // target → frontend attributes of its last solve
}

func newFakeRun(want int) *fakeRun {
	return &fakeRun{on: map[string]string{}, parts: map[string]string{}, running: map[string]int{}, peak: map[string]int{}, barrier: make(chan struct{}), want: want, received: map[string][]client.CacheOptionsEntry{}, attrs: map[string]map[string]string{}}
}

func (n *fakeNode) Solve(ctx context.Context, r *request.Request, step *schedule.Step) (map[string]string, error) {
	f := n.run
	f.mu.Lock()
	f.received[r.Target] = r.CacheImports
	f.running[n.name]++
	f.running[""]++
	f.peak[n.name] = max(f.peak[n.name], f.running[n.name])
	f.peak[""] = max(f.peak[""], f.running[""])
	if f.running[""] == f.want && !f.opened {
		close(f.barrier)
		f.opened = true
	}
	f.mu.Unlock()
	// running counts solving, until the result is reported: what a
	// node's max-solves and --jobs bound (an export takes its slot again
	// after a moment without one, which a count to the end would see).
	solving := true
	done := func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if solving {
			f.running[n.name]--
			f.running[""]--
			solving = false
		}
	}
	defer done()
	if n.fail != nil {
		return nil, n.fail
	}
	if f.want > 0 {
		select {
		case <-f.barrier:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	for _, d := range r.Deps {
		// The result solved last for d, or for a part the one of d's part
		// for the same platform.
		f.mu.Lock()
		want, solve := f.on[d], ""
		if node, ok := f.parts[d+" "+r.Attrs["platform"]]; ok {
			want, solve = node, d+" "+r.Attrs["platform"]+"@"+node
		}
		f.mu.Unlock()
		got := step.Inputs()[d]
		if got.Node != want {
			return nil, fmt.Errorf("input %s from node %q, want %q (where it was solved)", d, got.Node, want)
		}
		if solve == "" {
			continue
		}
		if got.Gateway == nil || string(got.Gateway.Metadata["fake.solve"]) != solve {
			return nil, fmt.Errorf("input %s is %+v, want the result of %q", d, got.Gateway, solve)
		}
	}
	f.mu.Lock()
	f.on[r.Target] = n.name
	f.parts[r.Target+" "+r.Attrs["platform"]] = n.name
	f.ran = append(f.ran, r.Target+" "+r.Attrs["platform"]+"@"+n.name)
	f.mu.Unlock()
	done()
	// What the result is, for a dependent to check it got the right one.
	res := &gateway.Result{Metadata: map[string][]byte{"fake.solve": []byte(r.Target + " " + r.Attrs["platform"] + "@" + n.name)}}
	if err := step.Solved(ctx, schedule.Result{Node: n.name, Gateway: res}); err != nil {
		return nil, err
	}
	resp := map[string]string{"node": n.name}
	for _, e := range r.Exports {
		if e.Attrs["push-by-digest"] == "true" { // what BuildKit reports of a push by digest
			d, _ := json.Marshal(ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromString(r.Target + r.Attrs["platform"]), Size: 1})
			resp["containerimage.descriptor"] = base64.StdEncoding.EncodeToString(d)
		}
	}
	f.mu.Lock()
	f.attrs[r.Target] = r.Attrs
	f.mu.Unlock()
	return resp, nil
}

func member(c Capacity, s schedule.Solver) Member {
	return Member{Capacity: c, Solver: s, Alive: func(context.Context) error { return nil }}
}

func reqs(names ...string) []*request.Request {
	var out []*request.Request
	for _, n := range names {
		r := &request.Request{Target: n, Attrs: map[string]string{}}
		if name, plat, ok := strings.Cut(n, "@"); ok {
			r.Target, r.Attrs["platform"] = name, plat
		}
		out = append(out, r)
	}
	return out
}

func run(t *testing.T, s schedule.Solver, rs []*request.Request) []schedule.Outcome {
	t.Helper()
	out := schedule.Schedule{Solver: s}.Run(context.Background(), rs)
	for _, o := range out {
		if o.Status != schedule.Succeeded {
			t.Fatalf("target %s: %s: %v", o.Target, o.Status, o.Err)
		}
	}
	return out
}

var (
	nodeA = Capacity{Name: "a", Native: []string{"linux/amd64"}, Emulated: []string{"linux/arm64"}}
	nodeB = Capacity{Name: "b", Native: []string{"linux/amd64"}, Emulated: []string{"linux/arm64"}}
)

// Eight single-platform targets running at once are spread four and four.
func TestSolverSpreads(t *testing.T) {
	f := newFakeRun(8)
	s, err := NewSolver([]Member{member(nodeA, &fakeNode{"a", f, nil}), member(nodeB, &fakeNode{"b", f, nil})},
		reqs("t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	run(t, s, reqs("t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"))
	count := map[string]int{}
	for _, n := range f.on {
		count[n]++
	}
	if count["a"] != 4 || count["b"] != 4 {
		t.Fatalf("placed %v, want 4 on each node", count)
	}
	if p := s.Placements()["t1"]; p.Node != f.on["t1"] || len(p.Lost) != 0 {
		t.Errorf("placement of t1 = %+v, solved on %s", p, f.on["t1"])
	}
}

// --jobs bounds the whole pool: Limit around the pool solver.
func TestSolverJobsBoundThePool(t *testing.T) {
	f := newFakeRun(3)
	rs := reqs("t1", "t2", "t3", "t4", "t5", "t6")
	s, err := NewSolver([]Member{member(nodeA, &fakeNode{"a", f, nil}), member(nodeB, &fakeNode{"b", f, nil})}, rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	run(t, schedule.Limit(s, 3), rs)
	if f.peak[""] != 3 {
		t.Fatalf("peak solves across the pool = %d, want 3 (--jobs 3)", f.peak[""])
	}
}

// A node's max-solves (its own Limit) holds while the Placer overcommits.
func TestSolverMaxSolves(t *testing.T) {
	f := newFakeRun(0)
	a, b := nodeA, nodeB
	a.MaxSolves, b.MaxSolves = 1, 2
	rs := reqs("t1", "t2", "t3", "t4", "t5", "t6", "t7")
	s, err := NewSolver([]Member{member(a, schedule.Limit(&fakeNode{"a", f, nil}, 1)), member(b, schedule.Limit(&fakeNode{"b", f, nil}, 2))}, rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	run(t, s, rs)
	if f.peak["a"] > 1 || f.peak["b"] > 2 {
		t.Fatalf("peaks %v exceed max-solves a=1 b=2", f.peak)
	}
	if len(f.on) != 7 {
		t.Fatalf("solved %d targets, want 7", len(f.on))
	}
}

// Each platform goes to the node that builds it natively.
func TestSolverNative(t *testing.T) {
	f := newFakeRun(0)
	amd := Capacity{Name: "amd", Native: []string{"linux/amd64"}}
	arm := Capacity{Name: "arm", Native: []string{"linux/arm64"}}
	rs := reqs("x@linux/arm64", "y@linux/amd64", "z@linux/arm64/v8")
	s, err := NewSolver([]Member{member(amd, &fakeNode{"amd", f, nil}), member(arm, &fakeNode{"arm", f, nil})}, rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	run(t, s, rs)
	if want := map[string]string{"x": "arm", "y": "amd", "z": "arm"}; !reflect.DeepEqual(f.on, want) {
		t.Fatalf("placed %v, want %v", f.on, want)
	}
}

// A target: dependent runs on its dependency's node, and a chain is placed
// where every platform of it can be built; one that cannot fails before
// anything is built.
func TestSolverChains(t *testing.T) {
	f := newFakeRun(0)
	rs := reqs("base", "app", "tool")
	rs[1].Deps = map[string]string{"base": "base"}
	last := map[string]string{"base": "b"}
	s, err := NewSolver([]Member{member(nodeA, &fakeNode{"a", f, nil}), member(nodeB, &fakeNode{"b", f, nil})}, rs, Options{Last: last})
	if err != nil {
		t.Fatal(err)
	}
	run(t, s, rs)
	if f.on["base"] != "b" || f.on["app"] != "b" {
		t.Fatalf("base on %s, app on %s: want both on b (sticky, then the dependency's node)", f.on["base"], f.on["app"])
	}

	amd := Capacity{Name: "amd", Native: []string{"linux/amd64"}}
	arm := Capacity{Name: "arm", Native: []string{"linux/arm64"}}
	rs = reqs("base@linux/amd64", "app@linux/arm64")
	rs[1].Deps = map[string]string{"base": "base"}
	_, err = NewSolver([]Member{member(amd, &fakeNode{"amd", f, nil}), member(arm, &fakeNode{"arm", f, nil})}, rs, Options{})
	want := "target base: no node of the pool builds linux/amd64, linux/arm64 (amd runs linux/amd64; arm runs linux/arm64) (a target: chain is built on one node)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	_, err = NewSolver([]Member{member(amd, &fakeNode{"amd", f, nil})}, reqs("web@linux/s390x"), Options{})
	if err == nil || !strings.Contains(err.Error(), "target web: no node of the pool builds linux/s390x") {
		t.Fatalf("err = %v", err)
	}
}

// A node that stops answering: its unit moves to another node, and the
// placement says which node was lost. With no other node, the unit fails
// naming the lost node.
func TestSolverRetriesOnLostNode(t *testing.T) {
	f := newFakeRun(0)
	gone := errors.New("connection refused")
	dead := Member{Capacity: nodeA, Solver: &fakeNode{"a", f, gone}, Alive: func(context.Context) error { return gone }}
	rs := reqs("t1")
	s, err := NewSolver([]Member{dead, member(nodeB, &fakeNode{"b", f, nil})}, rs, Options{Retries: DefaultRetries})
	if err != nil {
		t.Fatal(err)
	}
	run(t, s, rs)
	if p := s.Placements()["t1"]; p.Node != "b" || !reflect.DeepEqual(p.Lost, []string{"a"}) {
		t.Fatalf("placement %+v, want on b after losing a", p)
	}

	s, _ = NewSolver([]Member{dead}, rs, Options{Retries: DefaultRetries})
	out := schedule.Schedule{Solver: s}.Run(context.Background(), rs)
	if out[0].Status != schedule.Failed || !strings.Contains(out[0].Err.Error(), "a stopped answering") {
		t.Fatalf("outcome %+v", out[0])
	}

	// A node that answers after a failure keeps the failure: the target
	// itself failed, it is not moved.
	broken := errors.New("process did not complete successfully")
	s, _ = NewSolver([]Member{member(nodeA, &fakeNode{"a", f, broken}), member(nodeB, &fakeNode{"b", f, nil})}, rs, Options{Retries: DefaultRetries})
	out = schedule.Schedule{Solver: s}.Run(context.Background(), rs)
	if out[0].Status != schedule.Failed || !errors.Is(out[0].Err, broken) || len(s.Placements()["t1"].Lost) != 0 {
		t.Fatalf("outcome %+v, placement %+v", out[0], s.Placements()["t1"])
	}
}

// The pool cache: every unit exports to its own ref and imports its own and
// its dependencies'; the user's entries come first and are kept.
func TestCacheApply(t *testing.T) {
	rs := reqs("base@linux/arm/v7", "app@linux/arm64")
	own := client.CacheOptionsEntry{Type: "gha"}
	rs[1].CacheImports = []client.CacheOptionsEntry{own}
	rs[1].Deps = map[string]string{"b": "base"}
	byName := map[string]*request.Request{"base": rs[0], "app": rs[1]}
	c := Cache{Registry: "127.0.0.1:5000/cache", Dir: "/c"}
	got := c.Apply(rs[1], byName)
	wantFrom := []client.CacheOptionsEntry{own,
		{Type: "registry", Attrs: map[string]string{"ref": "127.0.0.1:5000/cache:kiln-app-linux-arm64"}},
		{Type: "local", Attrs: map[string]string{"src": "/c/kiln-app-linux-arm64"}},
		{Type: "registry", Attrs: map[string]string{"ref": "127.0.0.1:5000/cache:kiln-base-linux-arm-v7"}},
		{Type: "local", Attrs: map[string]string{"src": "/c/kiln-base-linux-arm-v7"}},
	}
	wantTo := []client.CacheOptionsEntry{
		{Type: "registry", Attrs: map[string]string{"ref": "127.0.0.1:5000/cache:kiln-app-linux-arm64", "mode": "max"}},
		{Type: "local", Attrs: map[string]string{"dest": "/c/kiln-app-linux-arm64", "mode": "max"}},
	}
	if !reflect.DeepEqual(got.CacheImports, wantFrom) || !reflect.DeepEqual(got.CacheExports, wantTo) {
		t.Fatalf("from %v\nto %v", got.CacheImports, got.CacheExports)
	}
	if len(rs[1].CacheImports) != 1 || rs[1].CacheExports != nil {
		t.Fatal("Apply changed the request it was given")
	}
	if k := UnitKey(&request.Request{Target: "web"}); k != "kiln-web" {
		t.Errorf("UnitKey without a platform = %q", k)
	}
}

// Atomic: a tagging push becomes a push by digest to the first name's
// repository; the names (tags defaulted to latest) are held for the release.
func TestHoldTags(t *testing.T) {
	r := &request.Request{Target: "app", Exports: []request.Export{
		{Type: "image", Attrs: map[string]string{"name": "127.0.0.1:5000/app:v1,127.0.0.1:5000/other", "push": "true"}},
		{Type: "image", Attrs: map[string]string{"name": "127.0.0.1:5000/mine", "push": "true", "push-by-digest": "true"}},
		{Type: "local"},
	}}
	got, held, err := holdTags(r)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"name": "127.0.0.1:5000/app", "push": "true", "push-by-digest": "true"}
	if !reflect.DeepEqual(got.Exports[0].Attrs, want) || !reflect.DeepEqual(got.Exports[1], r.Exports[1]) {
		t.Errorf("exports = %v", got.Exports)
	}
	if w := [][]string{{"127.0.0.1:5000/app:v1", "127.0.0.1:5000/other:latest"}}; !reflect.DeepEqual(held, w) {
		t.Errorf("held = %v, want %v", held, w)
	}
	if r.Exports[0].Attrs["push-by-digest"] != "" {
		t.Error("holdTags changed the request it was given")
	}
	if _, _, err := holdTags(&request.Request{Target: "bad", Exports: []request.Export{{Type: "image", Attrs: map[string]string{"name": "app::x", "push": "true"}}}}); err == nil || !strings.Contains(err.Error(), `target bad: image name "app::x"`) {
		t.Errorf("bad name: %v", err)
	}
}

// On a pool of several nodes a multi-platform target is split: one solve
// per platform, each on the node that builds it natively. On one node, or
// in a target: chain, it is not.
func TestSolverSplits(t *testing.T) {
	f := newFakeRun(0)
	amd := Capacity{Name: "amd", Native: []string{"linux/amd64"}, Emulated: []string{"linux/arm64"}}
	arm := Capacity{Name: "arm", Native: []string{"linux/arm64"}, Emulated: []string{"linux/amd64"}}
	rs := reqs("x@linux/amd64,linux/arm64", "base@linux/amd64,linux/arm64", "app@linux/amd64,linux/arm64")
	rs[2].Deps = map[string]string{"base": "base"}
	s, err := NewSolver([]Member{member(amd, &fakeNode{"amd", f, nil}), member(arm, &fakeNode{"arm", f, nil})}, rs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	run(t, s, rs)
	slices.Sort(f.ran)
	// x alone, and the base/app chain: each (target, platform) on its
	// platform's node (TestSolverSplitsChain checks the chain's inputs).
	want := []string{"app linux/amd64@amd", "app linux/arm64@arm", "base linux/amd64@amd", "base linux/arm64@arm", "x linux/amd64@amd", "x linux/arm64@arm"}
	if !reflect.DeepEqual(f.ran, want) {
		t.Fatalf("solves %v\nwant   %v", f.ran, want)
	}
	if p := s.Placements()["x"]; p.Parts["linux/arm64"].Node != "arm" || p.Parts["linux/amd64"].Node != "amd" {
		t.Errorf("placement of x = %+v", p)
	}

	f = newFakeRun(0)
	s, _ = NewSolver([]Member{member(amd, &fakeNode{"amd", f, nil})}, rs[:1], Options{})
	run(t, s, rs[:1])
	if want := []string{"x linux/amd64,linux/arm64@amd"}; !reflect.DeepEqual(f.ran, want) {
		t.Fatalf("one node: solves %v, want %v", f.ran, want)
	}
}

// A target: chain that no node builds natively whole, with a pool
// registry: each target on its native node, the dependency's image pushed
// by digest and given to the dependent as a docker-image:// context.
func TestSolverChainAcrossNodes(t *testing.T) {
	f := newFakeRun(0)
	amd := Capacity{Name: "amd", Native: []string{"linux/amd64"}, Emulated: []string{"linux/arm64"}}
	arm := Capacity{Name: "arm", Native: []string{"linux/arm64"}, Emulated: []string{"linux/amd64"}}
	rs := reqs("base@linux/amd64", "app@linux/arm64")
	rs[1].Deps = map[string]string{"base": "base"}
	s, err := NewSolver([]Member{member(amd, &fakeNode{"amd", f, nil}), member(arm, &fakeNode{"arm", f, nil})}, rs, Options{Cache: Cache{Registry: "127.0.0.1:5000/pool"}})
	if err != nil {
		t.Fatal(err)
	}
	run(t, schedule.Limit(s, 1), rs) // a --jobs bound of 1 holds: no slot is kept
	slices.Sort(f.ran)
	want := []string{"app linux/arm64@arm", "base linux/amd64@amd", "base linux/amd64@amd"} // the second: its push for app
	if !reflect.DeepEqual(f.ran, want) {
		t.Fatalf("solves %v\nwant   %v", f.ran, want)
	}
	if got, want := f.attrs["app"]["context:base"], "docker-image://127.0.0.1:5000/pool@"+digest.FromString("baselinux/amd64").String(); got != want {
		t.Errorf("app's context:base = %q, want %q", got, want)
	}

	// Without a registry the chain stays on one node.
	f = newFakeRun(0)
	s, _ = NewSolver([]Member{member(amd, &fakeNode{"amd", f, nil}), member(arm, &fakeNode{"arm", f, nil})}, rs, Options{})
	run(t, s, rs)
	if f.on["base"] != f.on["app"] {
		t.Errorf("without a registry: base on %s, app on %s", f.on["base"], f.on["app"])
	}
}

// A target: chain built for two platforms on two nodes, one native for
// each: every (target, platform) on its platform's node, each dependent's
// part given its dependency's part for the same platform (the fake node
// checks the result it receives), and the chain pinned per platform even
// when the emulating node is less loaded.
func TestSolverSplitsChain(t *testing.T) {
	f := newFakeRun(0)
	amd := Capacity{Name: "amd", Native: []string{"linux/amd64"}, Emulated: []string{"linux/arm64"}}
	arm := Capacity{Name: "arm", Native: []string{"linux/arm64"}, Emulated: []string{"linux/amd64"}}
	rs := reqs("base@linux/amd64,linux/arm64", "app@linux/arm64,linux/amd64", "tools@linux/amd64,linux/arm64")
	rs[1].Deps = map[string]string{"base": "base"}
	rs[2].Deps = map[string]string{"b": "base", "a": "app"}
	for _, o := range []Options{{}, {Cache: Cache{Registry: "127.0.0.1:5000/pool"}}} { // a registry does not change it
		f = newFakeRun(0)
		s, err := NewSolver([]Member{member(amd, &fakeNode{"amd", f, nil}), member(arm, &fakeNode{"arm", f, nil})}, rs, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, oc := range run(t, schedule.Limit(s, 1), rs) { // a --jobs bound of 1 holds: no slot is kept
			if oc.Status != schedule.Succeeded {
				t.Fatalf("%s: %s: %v", oc.Target, oc.Status, oc.Err)
			}
		}
		slices.Sort(f.ran)
		want := []string{"app linux/amd64@amd", "app linux/arm64@arm", "base linux/amd64@amd", "base linux/arm64@arm", "tools linux/amd64@amd", "tools linux/arm64@arm"}
		if !reflect.DeepEqual(f.ran, want) {
			t.Fatalf("solves %v\nwant   %v", f.ran, want)
		}
		for _, tg := range []string{"base", "app", "tools"} {
			p := s.Placements()[tg]
			if p.Parts["linux/amd64"].Node != "amd" || p.Parts["linux/arm64"].Node != "arm" {
				t.Errorf("placement of %s: amd64 on %s, arm64 on %s", tg, p.Parts["linux/amd64"].Node, p.Parts["linux/arm64"].Node)
			}
		}
	}

	// Targets of a chain with different platforms: kept whole, as before.
	rs2 := reqs("base@linux/amd64,linux/arm64", "app@linux/amd64")
	rs2[1].Deps = map[string]string{"base": "base"}
	f = newFakeRun(0)
	s, err := NewSolver([]Member{member(amd, &fakeNode{"amd", f, nil}), member(arm, &fakeNode{"arm", f, nil})}, rs2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	run(t, s, rs2)
	slices.Sort(f.ran)
	if want := []string{"app linux/amd64@amd", "base linux/amd64,linux/arm64@amd"}; !reflect.DeepEqual(f.ran, want) {
		t.Fatalf("mixed platforms: solves %v\nwant   %v", f.ran, want)
	}
}
