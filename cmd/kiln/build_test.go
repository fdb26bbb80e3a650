package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/bake"
)

// The build path rejects bad flags before it opens a builder.
func TestBuildDefinitionRejectsBadFlags(t *testing.T) {
	for _, c := range []struct {
		o    bakeOptions
		want string
	}{
		{bakeOptions{jobs: "fast", progress: "auto", call: "build"}, "invalid jobs mode"},
		{bakeOptions{jobs: "4", progress: "fancy", call: "build"}, "invalid progress mode"},
		{bakeOptions{jobs: "4", progress: "plain", call: "a,b"}, "invalid"},
	} {
		o := c.o
		o.builder = "unix:///nonexistent/kiln-test.sock"
		err := buildDefinition(context.Background(), &o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.o, err, c.want)
		}
	}
}

func TestTranslatePlanResolvesFromWorkingDir(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "app"), 0o755)
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(dir)
	ctx := "app"
	reqs, err := translatePlan(context.Background(), &bake.Plan{Targets: map[string]*bake.Target{
		"b": {Context: &ctx},
		"a": {},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 2 || reqs[0].Target != "a" || reqs[1].Target != "b" {
		t.Fatalf("requests %v", reqs)
	}
	real, _ := filepath.EvalSymlinks(dir)
	if got := reqs[1].Locals["context"]; got != filepath.Join(dir, "app") && got != filepath.Join(real, "app") {
		t.Errorf("context of b = %q", got)
	}
}
