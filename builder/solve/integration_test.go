package solve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-build/kiln/builder/node"
	"github.com/kiln-build/kiln/builder/progress"
	"github.com/kiln-build/kiln/builder/report"
	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
	"github.com/kiln-build/kiln/builder/solve"
	"github.com/kiln-build/kiln/internal/testenv"
)

// These tests run real solves with runc: on the engine embedded in the test
// process, or on the BuildKit daemon named by KILN_TEST_BUILDER (e.g.
// unix:///run/buildkit/buildkitd.sock). Base images are built FROM scratch
// from the busybox binaries in testdata/demo/base (hack/install-deps.sh).

var (
	nodeOnce sync.Once
	testNode node.Node
	nodeErr  error
	nodeRoot string // the embedded engine's state, removed after the tests
)

func integrationNode(t *testing.T) node.Node {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("integration: needs root")
	}
	if _, err := exec.LookPath("runc"); err != nil {
		t.Skip("integration: needs runc")
	}
	for _, a := range []string{"amd64", "arm64"} {
		if _, err := os.Stat(testenv.Busybox(a)); err != nil {
			t.Skip("integration: run hack/install-deps.sh for testdata/demo/base/busybox-" + a)
		}
	}
	nodeOnce.Do(func() {
		spec := os.Getenv("KILN_TEST_BUILDER")
		opts := node.OpenOptions{}
		if spec == "" {
			spec = "embedded"
			opts.Root, nodeErr = os.MkdirTemp("", "kiln-builder-test-")
			if nodeErr != nil {
				return
			}
			nodeRoot = opts.Root
		}
		testNode, nodeErr = node.Open(context.Background(), spec, opts)
	})
	if nodeErr != nil {
		t.Fatalf("open builder: %v", nodeErr)
	}
	return testNode
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testNode != nil {
		testNode.Close()
	}
	if nodeRoot != "" {
		os.RemoveAll(nodeRoot)
	}
	os.Exit(code)
}

// baseStage is a Dockerfile stage with a shell: busybox from the "bb"
// named context, FROM scratch.
const baseStage = `FROM scratch AS base
ARG TARGETARCH
COPY --from=bb busybox-${TARGETARCH} /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
`

// project writes files into a fresh directory and returns it.
func project(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// plan decodes targets from --print JSON, adding the busybox context.
func plan(t *testing.T, js string) map[string]*request.Target {
	t.Helper()
	var p struct {
		Targets map[string]*request.Target `json:"target"`
	}
	if err := json.Unmarshal([]byte(js), &p); err != nil {
		t.Fatalf("plan: %v", err)
	}
	bb := filepath.Dir(testenv.Busybox("amd64"))
	for _, tg := range p.Targets {
		if tg.Contexts == nil {
			tg.Contexts = map[string]string{}
		}
		if _, ok := tg.Contexts["bb"]; !ok {
			tg.Contexts["bb"] = bb
		}
	}
	return p.Targets
}

func build(t *testing.T, dir string, targets map[string]*request.Target, ex schedule.Execution) *report.Report {
	t.Helper()
	n := integrationNode(t)
	var reqs []*request.Request
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range targets {
			if !yield(k) {
				return
			}
		}
	}) {
		r, err := request.Translate(name, targets[name], request.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	var progress bytes.Buffer
	rep, err := run(context.Background(), n, reqs, runOptions{Exec: ex, Progress: "plain", ProgressOut: &progress, Env: solve.Env{MetadataProvenance: solve.ProvenanceMax}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("progress:\n%s", progress.String())
		}
	})
	return rep
}

func outcome(t *testing.T, rep *report.Report, name string) schedule.Outcome {
	t.Helper()
	for _, o := range rep.Outcomes {
		if o.Target == name {
			return o
		}
	}
	t.Fatalf("no outcome for %s", name)
	return schedule.Outcome{}
}

func mustSucceed(t *testing.T, rep *report.Report) {
	t.Helper()
	for _, o := range rep.Outcomes {
		if o.Status != schedule.Succeeded {
			name, log := rep.FailedStep(o.Target)
			t.Fatalf("%s: %s: %v\nstep %s:\n%s", o.Target, o.Status, o.Err, name, strings.Join(log, "\n"))
		}
	}
}

// runOptions are what the tests vary of a run.
type runOptions struct {
	Exec        schedule.Execution
	Progress    string // "" is quiet
	ProgressOut io.Writer
	Env         solve.Env
}

// run solves reqs on n through the chain cmd/kiln composes (the node's
// solver, the --jobs bound, the schedule, the report); the node is the
// embedded engine or a test daemon, so no watchdog.
func run(ctx context.Context, n node.Node, reqs []*request.Request, o runOptions) (*report.Report, error) {
	ns, err := solve.New(ctx, n, reqs, o.Env)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	if o.Progress == "" {
		o.Progress = "quiet"
	}
	if o.ProgressOut == nil {
		o.ProgressOut = io.Discard
	}
	p, err := progress.New(ctx, o.ProgressOut, o.Progress, len(reqs) > 1)
	if err != nil {
		return nil, err
	}
	out := schedule.Schedule{Solver: schedule.Limit(ns.WithProgress(p), o.Exec.Bound()), Exec: o.Exec}.Run(ctx, reqs)
	rep := report.New(p, reqs, out)
	report.ExplainFailures(ctx, n, rep)
	return rep, nil
}
