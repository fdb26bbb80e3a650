package builder

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

func TestProgressPrefixesAndKeepsFailedStepLog(t *testing.T) {
	var out bytes.Buffer
	p, err := NewProgress(context.Background(), &out, "plain", true)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ok, bad := digest.FromString("ok"), digest.FromString("bad")
	for _, target := range []string{"app", "lib"} {
		ch := p.Channel(target)
		ch <- &client.SolveStatus{Vertexes: []*client.Vertex{{Digest: ok, Name: "RUN true", Started: &now, Completed: &now}}}
		ch <- &client.SolveStatus{Vertexes: []*client.Vertex{{Digest: digest.FromString("i" + target), Name: "[internal] load .dockerignore", Started: &now, Completed: &now}}}
		if target == "lib" {
			ch <- &client.SolveStatus{Vertexes: []*client.Vertex{{Digest: bad, Name: "RUN make", Started: &now}}}
			ch <- &client.SolveStatus{Logs: []*client.VertexLog{{Vertex: bad, Data: []byte("compiling\nerror: no rule"), Timestamp: now}}}
			ch <- &client.SolveStatus{Vertexes: []*client.Vertex{{Digest: bad, Name: "RUN make", Started: &now, Completed: &now, Error: "exit code: 2"}}}
		}
		close(ch)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "[app] RUN true") || !strings.Contains(s, "[lib] RUN make") || !strings.Contains(s, "[app internal] load .dockerignore") {
		t.Errorf("display lacks target prefixes:\n%s", s)
	}
	step, log := p.FailedStep("lib")
	if step != "RUN make" || strings.Join(log, "|") != "compiling|error: no rule" {
		t.Errorf("failed step %q log %q", step, log)
	}
	if step, _ := p.FailedStep("app"); step != "" {
		t.Errorf("app has a failed step %q", step)
	}
}

func TestNoOutputWarning(t *testing.T) {
	reqs := []*Request{{Target: "b", NoOutput: true}, {Target: "a", NoOutput: true}, {Target: "c"}}
	w := NoOutputWarning(reqs, "embedded")
	if !strings.HasPrefix(w, "No output specified for a, b target(s) with embedded builder. Build result will only remain in the build cache.") {
		t.Errorf("warning %q", w)
	}
	if w := NoOutputWarning([]*Request{{Target: "default", NoOutput: true}}, "embedded"); !strings.HasPrefix(w, "No output specified with embedded builder.") {
		t.Errorf("default warning %q", w)
	}
	if w := NoOutputWarning(reqs[2:], "embedded"); w != "" {
		t.Errorf("warning without cause: %q", w)
	}
}

func TestSummary(t *testing.T) {
	rep := &Report{
		Outcomes: []Outcome{
			{Target: "app", Status: Succeeded, Response: map[string]string{"containerimage.digest": "sha256:abc"}},
			{Target: "lib", Status: Failed, Err: errors.New("failed to solve: exit code: 2")},
			{Target: "web", Status: Aborted, Err: errors.New("aborted: target lib failed")},
		},
		Requests: map[string]*Request{
			"app": {Target: "app", Exports: []Export{{Type: "image", Attrs: map[string]string{"push": "true", "name": "r/app:1"}}}},
			"lib": {Target: "lib", Exports: []Export{{Type: "local", Dir: "/out/lib"}}},
			"web": {Target: "web", Exports: []Export{{Type: "image", Attrs: map[string]string{"push": "true", "name": "r/web:1"}}}},
		},
	}
	var b bytes.Buffer
	PrintSummary(&b, rep, "embedded")
	s := b.String()
	for _, want := range []string{
		"3 target(s) on embedded: 1 succeeded, 1 failed, 1 aborted",
		"app  succeeded  pushed r/app:1 sha256:abc",
		"ERROR: target lib: failed to solve: exit code: 2",
		"web was not (completely) pushed",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "app was not") || strings.Contains(s, "ERROR: target web") {
		t.Errorf("summary blames the wrong target:\n%s", s)
	}
}
