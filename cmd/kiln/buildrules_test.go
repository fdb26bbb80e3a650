package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// A rule buildx applies only when it builds lets --print through (buildx
// prints the definition) and stops the build path before anything starts,
// placed in the bake file.
func TestBuildRulesOnBuildPathOnly(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker-bake.hcl"), []byte("target \"a\" {\n  network = \"bridge\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	o, err := parseBakeFlags(&command{name: "bake"}, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := writeDefinition(context.Background(), o, bakeIO{stdin: &bytes.Buffer{}, stdout: &out, stderr: &bytes.Buffer{}, env: []string{}}); err != nil {
		t.Fatalf("--print: %v", err)
	}
	if !bytes.Contains(out.Bytes(), []byte(`"network": "bridge"`)) {
		t.Errorf("--print did not print the network:\n%s", out.String())
	}
	_, err = loadPlan(context.Background(), o)
	const want = `docker-bake.hcl:2:13: target a: network mode "bridge" not supported by buildkit - you can define a custom network for your builder using the network driver-opt in buildx create`
	if err == nil || err.Error() != want {
		t.Errorf("build path:\n got %v\nwant %s", err, want)
	}
}
