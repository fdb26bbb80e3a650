package builder

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestSolveOptSharesLocalsAcrossTargets(t *testing.T) {
	dir := workdir(t)
	var reqs []*Request
	for _, js := range []string{`{"context":"app"}`, `{"context":"app","contexts":{"src":"shared"}}`, `{"context":"shared"}`} {
		r, err := Translate("t", target(t, js), Options{Dir: dir})
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
		so, release, err := r.solveOpt(env)
		if err != nil {
			t.Fatal(err)
		}
		release()
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
	so, release, err := reqs[2].solveOpt(env)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
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
	r, err := Translate("t", target(t, `{"context":"app","dockerfile-inline":"FROM scratch\n",
		"secret":[{"id":"tok","src":"`+filepath.Join(dir, "tok")+`"}],
		"output":[{"type":"tar","dest":"out/fs.tar"},{"type":"local","dest":"out/dir"}],
		"cache-to":[{"type":"local","dest":"c"}]}`), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	so, release, err := r.solveOpt(&runEnv{})
	if err != nil {
		t.Fatal(err)
	}
	if len(so.Session) != 1 {
		t.Errorf("session attachables = %d, want the secrets provider", len(so.Session))
	}
	if _, ok := so.LocalMounts["dockerfile"]; !ok {
		t.Errorf("inline Dockerfile not mounted")
	}
	if len(so.Exports) != 2 || so.Exports[0].Output == nil || so.Exports[1].OutputDir != filepath.Join(dir, "out/dir") {
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
	if b, _ := os.ReadFile(filepath.Join(dir, "out/fs.tar")); string(b) != "tar" {
		t.Errorf("tar output wrote %q", b)
	}
	release()
}

func TestSolveOptMissingSecretFile(t *testing.T) {
	r := &Request{Target: "t", Secrets: nil}
	r.Secrets = append(r.Secrets, target(t, `{"secret":[{"id":"a","src":"/nonexistent/kiln"}]}`).Secrets...)
	if _, _, err := r.solveOpt(&runEnv{}); err == nil {
		t.Fatal("a secret file that does not exist was accepted")
	}
}
