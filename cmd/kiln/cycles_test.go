package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const cyclesBakeFile = `target "a" {
  inherits = ["b"]
}
target "b" {
  inherits = ["a"]
  tags     = ["b"]
}
group "g" {
  targets = ["h"]
}
group "h" {
  targets = ["g"]
}
`

func runCyclesCase(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker-bake.hcl"), []byte(cyclesBakeFile), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	o, err := parseBakeFlags(&command{name: "bake"}, args)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	bio := bakeIO{stdin: &bytes.Buffer{}, stdout: &out, stderr: &errOut, env: []string{}}
	if o.list != "" {
		err = writeList(context.Background(), o, bio)
	} else {
		err = writeDefinition(context.Background(), o, bio)
	}
	return out.String(), errOut.String(), err
}

// --print keeps buildx's result for an inherits cycle, prints JSON only on
// stdout, and warns on stderr with the position and the chain.
func TestPrintWarnsOfInheritsCycle(t *testing.T) {
	stdout, stderr, err := runCyclesCase(t, "--print", "a")
	if err != nil {
		t.Fatal(err)
	}
	var def struct {
		Target map[string]struct{ Tags []string }
	}
	if err := json.Unmarshal([]byte(stdout), &def); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if tags := def.Target["a"].Tags; len(tags) != 1 || tags[0] != "b" {
		t.Errorf("a's tags = %v, want b's", tags)
	}
	want := "WARNING: docker-bake.hcl:5:14: target \"a\": inherits cycle a -> b -> a ignored, as docker buildx bake does\n"
	if stderr != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
}

func TestListWarnsOfInheritsCycles(t *testing.T) {
	stdout, stderr, err := runCyclesCase(t, "--list", "type=targets,format=json")
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid([]byte(stdout)) {
		t.Errorf("stdout is not JSON:\n%s", stdout)
	}
	for _, chain := range []string{"a -> b -> a", "b -> a -> b"} {
		if !strings.Contains(stderr, "inherits cycle "+chain+" ignored") {
			t.Errorf("stderr lacks %s:\n%s", chain, stderr)
		}
	}
}

func TestPrintNamesGroupCycle(t *testing.T) {
	_, _, err := runCyclesCase(t, "--print", "g")
	if want := "docker-bake.hcl:12:14: failed to find target g: group g includes itself (g -> h -> g)"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}
