package graph

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/bake"
)

func plan() *bake.Plan {
	return &bake.Plan{
		Groups: map[string]*bake.Group{"default": {Targets: []string{"base", "all"}}, "all": {Targets: []string{"app", "lint"}}},
		Targets: map[string]*bake.Target{
			"base": {Platforms: []string{"linux/amd64", "linux/arm64"}},
			"app":  {Contexts: map[string]string{"b": "target:base", "src": "./src", "again": "target:base"}},
			"lint": {Contexts: map[string]string{"b": "target:base"}},
		},
	}
}

func TestDOT(t *testing.T) {
	last := &LastRun{Targets: map[string]Result{"app": {Status: "failed", Seconds: 2.25}}}
	var b bytes.Buffer
	if err := WriteDOT(&b, FromPlan(plan(), last)); err != nil {
		t.Fatal(err)
	}
	want := `digraph bake {
  rankdir=LR;
  node [shape=box, style=rounded];
  "target:app" [label="app\nfailed in 2.2 s", style="rounded,filled", fillcolor="#f8d0d0"];
  "target:base" [label="base\nlinux/amd64, linux/arm64"];
  "target:lint" [label="lint"];
  "group:all" [label="all", shape=folder];
  "group:default" [label="default", shape=folder];
  "target:base" -> "target:app";
  "target:base" -> "target:lint";
  "group:all" -> "target:app" [style=dashed, arrowhead=none];
  "group:all" -> "target:lint" [style=dashed, arrowhead=none];
  "group:default" -> "target:base" [style=dashed, arrowhead=none];
  "group:default" -> "group:all" [style=dashed, arrowhead=none];
}
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestMermaid checks the flowchart's structure line by line: every line is
// a node, a class, an edge between declared nodes or a classDef, and every
// target: edge and group membership is there once.
func TestMermaid(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMermaid(&b, FromPlan(plan(), nil)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if lines[0] != "flowchart LR" {
		t.Fatalf("first line %q", lines[0])
	}
	node := regexp.MustCompile(`^  (n\d+)(\["[^"]*"\]|\[/"[^"]*"/\])$`)
	edge := regexp.MustCompile(`^  (n\d+) (-->|-\.-) (n\d+)$`)
	other := regexp.MustCompile(`^  (class n\d+ \w+|classDef \w+ fill:#[0-9a-f]{6})$`)
	labels := map[string]string{}
	edges := map[string]bool{}
	for _, l := range lines[1:] {
		switch {
		case node.MatchString(l):
			m := node.FindStringSubmatch(l)
			labels[m[1]] = strings.Trim(m[2], `[]/"`)
		case edge.MatchString(l):
			m := edge.FindStringSubmatch(l)
			if labels[m[1]] == "" || labels[m[3]] == "" {
				t.Errorf("edge %q before its nodes", l)
			}
			name := func(id string) string { n, _, _ := strings.Cut(labels[id], "<br/>"); return n }
			edges[name(m[1])+" "+m[2]+" "+name(m[3])] = true
		case other.MatchString(l):
		default:
			t.Errorf("line %q is not a node, edge or class", l)
		}
	}
	for _, e := range []string{"base --> app", "base --> lint", "all -.- app", "all -.- lint", "default -.- base", "default -.- all"} {
		if !edges[e] {
			t.Errorf("no edge %s in\n%s", e, b.String())
		}
	}
	if len(edges) != 6 {
		t.Errorf("%d edges, want 6: %v", len(edges), edges)
	}
	if labels["n1"] != "base<br/>linux/amd64, linux/arm64" {
		t.Errorf("base's label %q", labels["n1"])
	}
}
