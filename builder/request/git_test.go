package request

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestGitInfo(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	repo := t.TempDir()
	os.MkdirAll(filepath.Join(repo, "svc/api"), 0o755)
	os.WriteFile(filepath.Join(repo, "svc/api/Dockerfile"), []byte("FROM scratch\n"), 0o644)
	run := func(args ...string) string {
		out, err := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=k", "-c", "user.email=k@k"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("init", "-q")
	run("add", ".")
	run("commit", "-q", "-m", "x")
	run("remote", "add", "origin", "https://example.test/kiln.git")
	sha, _ := git(context.Background(), repo, "rev-parse", "HEAD")

	translate := func(g *GitInfo) *Request {
		r, err := Translate("api", target(t, `{"context":"svc/api","contexts":{"up":"svc"}}`), Options{Dir: repo, Git: g})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	// Two targets on one context: git is asked once, both get the same.
	g := NewGitInfo(context.Background(), env(nil))
	r, r2 := translate(g), translate(g)
	if len(g.checkouts) != 1 {
		t.Errorf("git read %d checkouts for one context dir", len(g.checkouts))
	}
	if len(r2.Attrs) != len(r.Attrs) || r2.Attrs["vcs:revision"] != sha {
		t.Errorf("second target on the context: %v, first %v", r2.Attrs, r.Attrs)
	}
	want := map[string]string{
		"vcs:revision":            sha,
		"vcs:source":              "https://example.test/kiln.git",
		"vcs:localdir:context":    "svc/api",
		"vcs:localdir:dockerfile": "svc/api",
		"vcs:localdir:up":         "svc",
	}
	for k, v := range want {
		if r.Attrs[k] != v {
			t.Errorf("%s = %q, want %q", k, r.Attrs[k], v)
		}
	}
	if _, ok := r.Attrs["label:org.opencontainers.image.revision"]; ok {
		t.Errorf("labels set without BUILDX_GIT_LABELS")
	}

	os.WriteFile(filepath.Join(repo, "new"), []byte("x"), 0o644)
	r = translate(NewGitInfo(context.Background(), env(map[string]string{"BUILDX_GIT_LABELS": "1", "BUILDX_GIT_INFO": "0", "BUILDX_GIT_CHECK_DIRTY": "1"})))
	if r.Attrs["label:org.opencontainers.image.revision"] != sha+"-dirty" || r.Attrs["label:com.docker.image.source.entrypoint"] != "svc/api/Dockerfile" {
		t.Errorf("labels %v", r.Attrs)
	}
	if _, ok := r.Attrs["vcs:revision"]; ok {
		t.Errorf("vcs attributes set with BUILDX_GIT_INFO=0")
	}

	// Outside a checkout nothing is added.
	r, _ = Translate("x", target(t, `{}`), Options{Dir: t.TempDir(), Git: NewGitInfo(context.Background(), env(nil))})
	if _, ok := r.Attrs["vcs:revision"]; ok {
		t.Errorf("vcs attributes outside a checkout: %v", r.Attrs)
	}
}
