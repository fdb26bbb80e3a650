package solve

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/internal/testenv"
)

func TestSolveOptSharesLocalsAcrossTargets(t *testing.T) {
	dir := workdir(t)
	var reqs []*request.Request
	for _, js := range []string{`{"context":"app"}`, `{"context":"app","contexts":{"src":"shared"}}`, `{"context":"shared"}`} {
		r, err := request.Translate("t", target(t, js), request.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	shared, err := newSharedLocals(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	defer shared.close()
	env := &runEnv{shared: shared}
	var ids []string
	for i, r := range reqs[:2] {
		so, release, err := solveOpt(r, env)
		if err != nil {
			t.Fatal(err)
		}
		release(nil)
		id := so.FrontendAttrs["local-sessionid:context"]
		if id == "" {
			t.Fatalf("request %d: app is read by two targets but not from a shared session: %v", i, so.FrontendAttrs)
		}
		if _, ok := so.LocalMounts["context"]; ok {
			t.Errorf("request %d also sends the shared context itself", i)
		}
		ids = append(ids, id)
	}
	if ids[0] != ids[1] {
		t.Errorf("two sessions for one directory: %v", ids)
	}
	// "shared" is read once as "context" and once as "src": different
	// mount names, so each solve sends it itself.
	so, release, err := solveOpt(reqs[2], env)
	if err != nil {
		t.Fatal(err)
	}
	defer release(nil)
	if _, ok := so.FrontendAttrs["local-sessionid:context"]; ok {
		t.Errorf("a directory read by one target got a shared session")
	}
	if _, ok := so.LocalMounts["context"]; !ok {
		t.Errorf("context not mounted: %v", so.LocalMounts)
	}
}

func TestSolveOptSessionAndOutputs(t *testing.T) {
	dir := workdir(t)
	os.WriteFile(filepath.Join(dir, "tok"), []byte("x"), 0o600)
	r, err := request.Translate("t", target(t, `{"context":"app","dockerfile-inline":"FROM scratch\n",
		"secret":[{"id":"tok","src":"`+filepath.Join(dir, "tok")+`"}],
		"output":[{"type":"tar","dest":"out/fs.tar"},{"type":"local","dest":"out/dir"}],
		"cache-to":[{"type":"local","dest":"c"}]}`), request.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	so, release, err := solveOpt(r, &runEnv{})
	if err != nil {
		t.Fatal(err)
	}
	if len(so.Session) != 1 {
		t.Errorf("session attachables = %d, want the secrets provider", len(so.Session))
	}
	if _, ok := so.LocalMounts["dockerfile"]; !ok {
		t.Errorf("inline Dockerfile not mounted")
	}
	// Outputs are written beside their destination until the solve succeeded.
	if len(so.Exports) != 2 || so.Exports[0].Output == nil || filepath.Dir(so.Exports[1].OutputDir) != filepath.Join(dir, "out") ||
		!strings.HasPrefix(filepath.Base(so.Exports[1].OutputDir), ".dir.kiln-tmp-") {
		t.Errorf("exports %+v", so.Exports)
	}
	if len(so.CacheExports) != 1 || so.CacheExports[0].Type != "local" || so.Ref == "" {
		t.Errorf("cache %+v ref %q", so.CacheExports, so.Ref)
	}
	w, err := so.Exports[0].Output(nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("tar"))
	w.Close()
	if _, err := os.Stat(filepath.Join(dir, "out/fs.tar")); !os.IsNotExist(err) {
		t.Errorf("the tar output is at its destination before the solve finished: %v", err)
	}
	os.WriteFile(filepath.Join(so.Exports[1].OutputDir, "f"), []byte("dir"), 0o644)
	if err := release(nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out/fs.tar")); string(b) != "tar" {
		t.Errorf("tar output wrote %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out/dir/f")); string(b) != "dir" {
		t.Errorf("local output wrote %q", b)
	}
	if got := testenv.ListDir(t, filepath.Join(dir, "out")); !slices.Equal(got, []string{"dir", "fs.tar"}) {
		t.Errorf("out holds %v, want only the two outputs", got)
	}

	// A failed solve leaves both previous outputs as they were.
	so, release, err = solveOpt(r, &runEnv{})
	if err != nil {
		t.Fatal(err)
	}
	w, err = so.Exports[0].Output(nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("partial"))
	// The temporary holds links to the previous files; BuildKit's writer
	// replaces a file by renaming a new one over it, as this does.
	os.WriteFile(filepath.Join(so.Exports[1].OutputDir, "g"), []byte("partial"), 0o644)
	os.Rename(filepath.Join(so.Exports[1].OutputDir, "g"), filepath.Join(so.Exports[1].OutputDir, "f"))
	release(errors.New("solve failed"))
	if b, _ := os.ReadFile(filepath.Join(dir, "out/fs.tar")); string(b) != "tar" {
		t.Errorf("a failed solve changed the tar output to %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out/dir/f")); string(b) != "dir" {
		t.Errorf("a failed solve changed the local output to %q", b)
	}
	if got := testenv.ListDir(t, filepath.Join(dir, "out")); !slices.Equal(got, []string{"dir", "fs.tar"}) {
		t.Errorf("a failed solve left %v", got)
	}
}

func TestSolveOptMissingSecretFile(t *testing.T) {
	r := &request.Request{Target: "t", Secrets: nil}
	r.Secrets = append(r.Secrets, target(t, `{"secret":[{"id":"a","src":"/nonexistent/kiln"}]}`).Secrets...)
	if _, _, err := solveOpt(r, &runEnv{}); err == nil {
		t.Fatal("a secret file that does not exist was accepted")
	}
}
