package bake

import (
	"reflect"
	"strings"
	"testing"
)

func parseHCLConfig(t *testing.T, src string) *Config {
	t.Helper()
	c, _, err := ParseFiles([]File{{Name: "docker-bake.hcl", Data: []byte(src)}}, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// An inherits cycle is cut as buildx cuts it, and reported with its chain
// and the position of the inherits value that was skipped.
func TestInheritsCycleKeptAndReported(t *testing.T) {
	c := parseHCLConfig(t, `target "a" {
  inherits = ["b"]
  tags     = ["a"]
}
target "b" {
  inherits = ["a"]
  args     = { B = "1" }
  tags     = ["b"]
}
target "c" {
  inherits = ["a"]
}
`)
	p, err := c.ResolvePlan([]string{"a", "c"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := p.Targets["a"]
	if !reflect.DeepEqual(a.Tags, []string{"a"}) || a.Args["B"] == nil || *a.Args["B"] != "1" {
		t.Errorf("a = tags %v args %v, want b merged under a", a.Tags, a.Args)
	}
	var got []string
	for _, cy := range p.InheritsCycles {
		got = append(got, cy.String())
	}
	want := []string{
		`docker-bake.hcl:6:14: target "a": inherits cycle a -> b -> a ignored, as docker buildx bake does`,
		`docker-bake.hcl:6:14: target "c": inherits cycle c -> a -> b -> a ignored, as docker buildx bake does`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cycles:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	got = nil
	for _, cy := range c.InheritsCycles() {
		got = append(got, strings.Join(cy.Chain, " -> "))
	}
	if want := []string{"a -> b -> a", "b -> a -> b", "c -> a -> b -> a"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Config.InheritsCycles chains = %q, want %q", got, want)
	}
}

func TestInheritsCycleInMatrixAndWithoutPosition(t *testing.T) {
	c := parseHCLConfig(t, `target "m" {
  matrix   = { v = ["x", "y"] }
  name     = "m-${v}"
  inherits = ["m-y"]
}
`)
	p, err := c.ResolvePlan([]string{"m-y"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.InheritsCycles) != 1 || p.InheritsCycles[0].String() != `docker-bake.hcl:4:14: target "m-y": inherits cycle m-y -> m-y ignored, as docker buildx bake does` {
		t.Errorf("cycles = %v", p.InheritsCycles)
	}

	lit := Config{Targets: []*Target{{Name: "x", Inherits: []string{"y"}}, {Name: "y", Inherits: []string{"x"}}, {Name: "z", Inherits: []string{"x", "y"}}}}
	p, err = lit.ResolvePlan([]string{"x"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.InheritsCycles) != 1 || p.InheritsCycles[0].String() != `target "x": inherits cycle x -> y -> x ignored, as docker buildx bake does` {
		t.Errorf("cycles = %v", p.InheritsCycles)
	}
}

func TestNoInheritsCycleInDiamond(t *testing.T) {
	c := Config{Targets: []*Target{
		{Name: "base"},
		{Name: "l", Inherits: []string{"base"}},
		{Name: "r", Inherits: []string{"base"}},
		{Name: "top", Inherits: []string{"l", "r", "base"}},
	}}
	if cycles := c.InheritsCycles(); len(cycles) != 0 {
		t.Errorf("cycles = %v, want none", cycles)
	}
}

// A group that includes itself is rejected as buildx rejects it, with the chain.
func TestGroupCycleNamesChain(t *testing.T) {
	c := Config{
		Groups: []*Group{
			{Name: "all", Targets: []string{"g", "x"}},
			{Name: "g", Targets: []string{"h"}},
			{Name: "h", Targets: []string{"x", "g"}},
			{Name: "self", Targets: []string{"self"}},
			{Name: "both", Targets: []string{"both", "x"}},
		},
		Targets: []*Target{{Name: "x"}, {Name: "both"}},
	}
	for _, tc := range []struct{ req, want string }{
		{"g", "failed to find target g: group g includes itself (g -> h -> g)"},
		{"h", "failed to find target h: group h includes itself (h -> g -> h)"},
		{"all", "failed to find target g: group g includes itself (g -> h -> g)"},
		{"self", "failed to find target self: group self includes itself (self -> self)"},
	} {
		_, err := c.ResolvePlan([]string{tc.req}, nil, nil)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ResolvePlan(%s) error = %v, want %q", tc.req, err, tc.want)
		}
	}
	// a target of the group's name stands in for it, as in buildx
	p, err := c.ResolvePlan([]string{"both"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := sortedKeys(p.Targets); !reflect.DeepEqual(got, []string{"both", "x"}) {
		t.Errorf("targets = %v", got)
	}
}
