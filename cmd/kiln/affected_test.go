package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// affectedRepo is a Git repository made for the test, with the real git.
type affectedRepo struct {
	t   *testing.T
	dir string
}

func newAffectedRepo(t *testing.T) *affectedRepo {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	r := &affectedRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *affectedRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+r.dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *affectedRepo) write(files map[string]string) {
	r.t.Helper()
	for p, c := range files {
		full := filepath.Join(r.dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

// commit writes files, commits everything and returns the commit id.
func (r *affectedRepo) commit(msg string, files map[string]string) string {
	r.t.Helper()
	r.write(files)
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

// affectedList runs `bake --list type=targets,format=json --affected-since
// rev --why` in the repository and returns the names listed and stderr.
func affectedList(t *testing.T, rev string, extra ...string) ([]string, string) {
	t.Helper()
	names, stderr, err := tryAffectedList(rev, extra...)
	if err != nil {
		t.Fatalf("--affected-since %s: %v", rev, err)
	}
	return names, stderr
}

func tryAffectedList(rev string, extra ...string) ([]string, string, error) {
	args := append([]string{"--list", "type=targets,format=json", "--affected-since", rev, "--why"}, extra...)
	o, err := parseBakeFlags(&command{name: "bake"}, args)
	if err != nil {
		return nil, "", err
	}
	var stdout, stderr bytes.Buffer
	bio := bakeIO{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr}
	if err := writeList(context.Background(), o, bio); err != nil {
		return nil, stderr.String(), err
	}
	if strings.TrimSpace(stdout.String()) == "null" {
		return nil, "", errors.New("printed null, not a JSON list")
	}
	var list []struct {
		Name  string `json:"name"`
		Group bool   `json:"group"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &list); err != nil {
		return nil, "", err
	}
	names := []string{} // [] and not null: what a CI matrix reads
	for _, e := range list {
		names = append(names, e.Name)
	}
	return names, stderr.String(), nil
}

const affectedBakeFile = `
variable "VERSION" { default = "1" }
group "default" { targets = ["api", "web", "worker", "tools"] }
target "api" {
  context = "svc/api"
  contexts = { lib = "lib" }
}
target "web" {
  context = "svc/web"
  args = { VERSION = VERSION }
}
target "worker" {
  context = "svc/worker"
  contexts = { api = "target:api" }
}
target "tools" {
  context = "svc/tools"
  contexts = { lib = "lib" }
}
target "docs" { context = "docs" }
`

func TestAffectedSince(t *testing.T) {
	r := newAffectedRepo(t)
	c0 := r.commit("start", map[string]string{
		"docker-bake.hcl":       affectedBakeFile,
		".gitignore":            "*.log\n",
		"svc/api/Dockerfile":    "FROM scratch\nCOPY . /\n",
		"svc/api/main.go":       "package main\n",
		"svc/api/.dockerignore": "README.md\n",
		"svc/api/README.md":     "api\n",
		"svc/web/Dockerfile":    "FROM scratch\n",
		"svc/web/main.go":       "package main\n",
		"svc/worker/Dockerfile": "FROM scratch\n",
		"svc/worker/main.go":    "package main\n",
		"svc/tools/Dockerfile":  "FROM scratch\n",
		"lib/util.go":           "package lib\n",
		"lib/.dockerignore":     "testdata\n",
		"docs/Dockerfile":       "FROM scratch\n",
	})
	t.Chdir(r.dir)

	// each step commits, then asks what changed since the commit before
	steps := []struct {
		name  string
		files map[string]string
		want  []string
		why   []string // lines stderr must contain
	}{
		{name: "one service", files: map[string]string{"svc/web/main.go": "package main // 2\n"},
			want: []string{"web"}, why: []string{"web: svc/web/main.go changed"}},
		{name: "shared library through a named context and a target: link", files: map[string]string{"lib/util.go": "package lib // 2\n"},
			want: []string{"api", "tools", "worker"},
			why:  []string{"api: lib/util.go changed", "tools: lib/util.go changed", "worker: uses api (target:)"}},
		{name: "a file the named context's own .dockerignore excludes affects nothing", files: map[string]string{"lib/testdata/fixture.txt": "x\n"},
			want: []string{}},
		{name: "the named context's .dockerignore itself", files: map[string]string{"lib/.dockerignore": "testdata\n*.md\n"},
			want: []string{"api", "tools", "worker"}, why: []string{"api: lib/.dockerignore changed"}},
		{name: "bake-file variable", files: map[string]string{"docker-bake.hcl": strings.Replace(affectedBakeFile, `default = "1"`, `default = "2"`, 1)},
			want: []string{"web"}, why: []string{"web: definition changed (args.VERSION)"}},
		{name: "a .dockerignored file affects nothing", files: map[string]string{"svc/api/README.md": "api, again\n"},
			want: []string{}, why: []string{"no target is affected since HEAD~1"}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			r.commit(step.name, step.files)
			got, stderr := affectedList(t, "HEAD~1")
			if !slices.Equal(got, step.want) {
				t.Errorf("affected = %q, want %q\nstderr:\n%s", got, step.want, stderr)
			}
			for _, line := range step.why {
				if !strings.Contains(stderr, line+"\n") {
					t.Errorf("stderr lacks %q:\n%s", line, stderr)
				}
			}
		})
	}
	t.Run("several commits at once, named targets", func(t *testing.T) {
		if got, _ := affectedList(t, c0); !slices.Equal(got, []string{"api", "tools", "web", "worker"}) {
			t.Errorf("since the start: %q", got)
		}
		if got, _ := affectedList(t, c0, "docs", "tools"); !slices.Equal(got, []string{"tools"}) {
			t.Errorf("docs and tools since the start: %q", got)
		}
		if got, _ := affectedList(t, "main"); len(got) != 0 {
			t.Errorf("since main (HEAD): %q", got)
		}
	})
	t.Run("--var giving the new value at both ends is no change", func(t *testing.T) {
		if got, _ := affectedList(t, "HEAD~2", "--var", "VERSION=2"); len(got) != 0 {
			t.Errorf("affected = %q", got)
		}
	})

	t.Run("working tree: unstaged, staged, untracked; git-ignored left out", func(t *testing.T) {
		r.write(map[string]string{"svc/tools/debug.log": "ignored by git\n"})
		if got, _ := affectedList(t, "HEAD"); len(got) != 0 {
			t.Fatalf("a git-ignored file selected %q", got)
		}
		r.write(map[string]string{"svc/tools/new.go": "package main\n"}) // untracked
		if got, _ := affectedList(t, "HEAD"); !slices.Equal(got, []string{"tools"}) {
			t.Errorf("untracked: %q, want [tools]", got)
		}
		r.write(map[string]string{"svc/worker/main.go": "package main // staged\n"})
		r.git("add", "svc/worker/main.go")
		if got, _ := affectedList(t, "HEAD"); !slices.Equal(got, []string{"tools", "worker"}) {
			t.Errorf("staged: %q, want [tools worker]", got)
		}
		r.write(map[string]string{"svc/web/Dockerfile": "FROM scratch\nENV A=1\n"}) // unstaged
		if got, _ := affectedList(t, "HEAD"); !slices.Equal(got, []string{"tools", "web", "worker"}) {
			t.Errorf("unstaged: %q, want [tools web worker]", got)
		}
		r.git("stash", "-u", "-q")
	})

	t.Run("a target that does not exist at the revision", func(t *testing.T) {
		r.write(map[string]string{"docker-bake.hcl": affectedBakeFile + `target "new" { context = "docs" }` + "\n"})
		defer r.git("checkout", "-q", "--", "docker-bake.hcl")
		got, stderr := affectedList(t, "HEAD", "new", "docs")
		if !slices.Equal(got, []string{"new"}) {
			t.Errorf("affected = %q, want [new]", got)
		}
		if !strings.Contains(stderr, "new: not defined at HEAD\n") {
			t.Errorf("stderr: %s", stderr)
		}
	})

	t.Run("--print keeps its format with the affected targets and groups cut to them", func(t *testing.T) {
		// of the last two commits only the VERSION bump (web) affects anything
		o, err := parseBakeFlags(&command{name: "bake"}, []string{"--print", "--affected-since", "HEAD~2"})
		if err != nil {
			t.Fatal(err)
		}
		var stdout bytes.Buffer
		if err := writeDefinition(context.Background(), o, bakeIO{stdout: &stdout}); err != nil {
			t.Fatal(err)
		}
		var printed struct {
			Group  map[string]struct{ Targets []string } `json:"group"`
			Target map[string]json.RawMessage            `json:"target"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &printed); err != nil {
			t.Fatalf("%v\n%s", err, stdout.String())
		}
		var names []string
		for n := range printed.Target {
			names = append(names, n)
		}
		slices.Sort(names)
		want := []string{"web"}
		if !slices.Equal(names, want) {
			t.Errorf("targets %q, want %q", names, want)
		}
		if g := printed.Group["default"].Targets; !slices.Equal(g, []string{"web"}) {
			t.Errorf("default group %q", g)
		}
	})

	t.Run("errors", func(t *testing.T) {
		if _, _, err := tryAffectedList("no-such-ref"); err == nil || !strings.Contains(err.Error(), `unknown revision "no-such-ref"`) {
			t.Errorf("unknown revision: %v", err)
		}
		if _, err := parseBakeFlags(&command{name: "bake"}, []string{"--why"}); err == nil {
			t.Error("--why alone accepted")
		}
		outside := t.TempDir()
		t.Chdir(outside)
		os.WriteFile(filepath.Join(outside, "docker-bake.hcl"), []byte(`target "a" {}`), 0o644)
		if _, _, err := tryAffectedList("HEAD"); err == nil || !strings.Contains(err.Error(), "not in a Git working tree") {
			t.Errorf("outside a repository: %v", err)
		}
	})
}
