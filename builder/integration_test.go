package builder

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-build/kiln/bake"
	"github.com/kiln-build/kiln/internal/testenv"
)

// These tests run real solves with runc: on the engine embedded in the test
// process, or on the BuildKit daemon named by KILN_TEST_BUILDER (e.g.
// unix:///run/buildkit/buildkitd.sock). Base images are built FROM scratch
// from the busybox binaries in testdata/demo/base (hack/install-deps.sh).

var (
	nodeOnce sync.Once
	testNode Node
	nodeErr  error
	nodeRoot string // the embedded engine's state, removed after the tests
)

func integrationNode(t *testing.T) Node {
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
		opts := OpenOptions{}
		if spec == "" {
			spec = "embedded"
			opts.Root, nodeErr = os.MkdirTemp("", "kiln-builder-test-")
			if nodeErr != nil {
				return
			}
			nodeRoot = opts.Root
		}
		testNode, nodeErr = Open(context.Background(), spec, opts)
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
func plan(t *testing.T, js string) map[string]*bake.Target {
	t.Helper()
	var p bake.Plan
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

func build(t *testing.T, dir string, targets map[string]*bake.Target, ex Execution) *Report {
	t.Helper()
	node := integrationNode(t)
	var reqs []*Request
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range targets {
			if !yield(k) {
				return
			}
		}
	}) {
		r, err := Translate(name, targets[name], Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	var progress bytes.Buffer
	rep, err := Run(context.Background(), node, reqs, RunOptions{Exec: ex, Progress: "plain", ProgressOut: &progress, MetadataProvenance: ProvenanceMax})
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

func outcome(t *testing.T, rep *Report, name string) Outcome {
	t.Helper()
	for _, o := range rep.Outcomes {
		if o.Target == name {
			return o
		}
	}
	t.Fatalf("no outcome for %s", name)
	return Outcome{}
}

func mustSucceed(t *testing.T, rep *Report) {
	t.Helper()
	for _, o := range rep.Outcomes {
		if o.Status != Succeeded {
			name, log := rep.FailedStep(o.Target)
			t.Fatalf("%s: %s: %v\nstep %s:\n%s", o.Target, o.Status, o.Err, name, strings.Join(log, "\n"))
		}
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
