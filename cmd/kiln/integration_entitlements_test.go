package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIntegrationFSEntitlements builds, with the real binary, a target whose
// output lies outside the working directory: refused with buildx's report
// before any builder is contacted (a dead remote address says nothing),
// nothing written; built with the --allow the report names; let through
// with BUILDX_BAKE_ENTITLEMENTS_FS=0.
func TestIntegrationFSEntitlements(t *testing.T) {
	requireIntegration(t)
	e := freshEngine(t)
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir, outside := filepath.Join(root, "work"), filepath.Join(root, "outside")
	writeFiles(t, dir, map[string]string{
		"Dockerfile":      "FROM scratch\nCOPY hello /\n",
		"hello":           "hello\n",
		"docker-bake.hcl": "target \"default\" {\n  output = [\"type=local,dest=../outside/out\"]\n}\n",
	})
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}

	for _, builder := range []string{"", "unix://" + filepath.Join(root, "nobody-listens.sock")} {
		args := []string{"bake", "--progress=plain"}
		if builder != "" {
			args = append(args, "--builder", builder)
		}
		r := e.kiln(t, dir, args...).mustFail(t)
		for _, want := range []string{
			" - Write access to path ../outside\n",
			`Pass "--allow=fs.write=../outside" to grant requested privileges.`,
			"To disable filesystem entitlements checks, you can set BUILDX_BAKE_ENTITLEMENTS_FS=0 .",
			"ERROR: additional privileges requested\n",
		} {
			if !strings.Contains(r.out, want) {
				t.Fatalf("builder %q: output lacks %q:\n%s", builder, want, r)
			}
		}
		if _, err := os.Stat(filepath.Join(outside, "out")); !os.IsNotExist(err) {
			t.Fatalf("refused build wrote its output (stat: %v)", err)
		}
	}

	e.bake(t, dir, "--allow=fs.write=../outside").mustSucceed(t)
	if dt, err := os.ReadFile(filepath.Join(outside, "out", "hello")); err != nil || string(dt) != "hello\n" {
		t.Fatalf("output with --allow: %q, %v", dt, err)
	}
	os.RemoveAll(filepath.Join(outside, "out"))
	r := e.with("BUILDX_BAKE_ENTITLEMENTS_FS=0").bake(t, dir).mustSucceed(t)
	if !strings.Contains(r.out, " - Write access to path ../outside\n") {
		t.Errorf("BUILDX_BAKE_ENTITLEMENTS_FS=0: buildx still lists the request:\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(outside, "out", "hello")); err != nil {
		t.Fatalf("output with BUILDX_BAKE_ENTITLEMENTS_FS=0: %v", err)
	}
}
