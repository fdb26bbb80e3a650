package progress

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

func TestProgressPrefixesAndKeepsFailedStepLog(t *testing.T) {
	var out bytes.Buffer
	p, err := New(context.Background(), &out, "plain", true)
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
