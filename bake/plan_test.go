package bake

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func strp(s string) *string { return &s }

func testConfig() Config {
	return Config{
		Groups: []*Group{
			{Name: "default", Targets: []string{"app"}},
			{Name: "all", Targets: []string{"default", "tools"}},
			{Name: "tools", Targets: []string{"lint"}},
		},
		Targets: []*Target{
			{Name: "base", Args: map[string]*string{"A": strp("base"), "B": strp("base")}, Tags: []string{"base"}},
			{Name: "app", Inherits: []string{"base"}, Args: map[string]*string{"B": strp("app"), "C": nil},
				Contexts: map[string]string{"dep": "target:dep"}},
			{Name: "dep", Dockerfile: strp("dep.Dockerfile"), NetworkMode: strp("host")},
			{Name: "lint", Target: strp("lint")},
		},
	}
}

func TestResolvePlanGroupsAndInheritance(t *testing.T) {
	c := testConfig()
	p, err := c.ResolvePlan([]string{"all"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := sortedKeys(p.Targets); !reflect.DeepEqual(got, []string{"app", "dep", "lint"}) {
		t.Fatalf("targets = %v", got)
	}
	if got := sortedKeys(p.Groups); !reflect.DeepEqual(got, []string{"all", "default", "tools"}) {
		t.Fatalf("groups = %v", got)
	}
	app := p.Targets["app"]
	if *app.Args["A"] != "base" || *app.Args["B"] != "app" || app.Inherits != nil {
		t.Errorf("app not merged over base: %+v", app)
	}
	if *app.Context != "." || *app.Dockerfile != "Dockerfile" {
		t.Errorf("defaults not applied: context %q dockerfile %q", *app.Context, *app.Dockerfile)
	}
	dep := p.Targets["dep"]
	if !dep.Linked() || len(dep.Outputs) != 1 || dep.Outputs[0].Type != "cacheonly" {
		t.Errorf("dep should be linked with a cacheonly output: %+v", dep)
	}
	if !slices.Contains(app.Entitlements, "network.host") {
		t.Errorf("app should inherit network.host from dep, got %v", app.Entitlements)
	}
}

func TestResolvePlanDefaultGroupAndErrors(t *testing.T) {
	c := testConfig()
	p, err := c.ResolvePlan([]string{"lint", "app"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Groups["default"].Targets; !reflect.DeepEqual(got, []string{"app", "lint"}) {
		t.Errorf("default group = %v, want the requested names sorted", got)
	}
	for _, tc := range []struct {
		req  []string
		want string
	}{
		{[]string{"nope"}, "failed to find target nope"},
		{[]string{"zz*"}, `could not find any target matching "zz*"`},
	} {
		if _, err := c.ResolvePlan(tc.req, nil, nil); err == nil || err.Error() != tc.want {
			t.Errorf("ResolvePlan(%v) error = %v, want %q", tc.req, err, tc.want)
		}
	}
}

func TestResolvePlanLinkLoop(t *testing.T) {
	c := Config{Targets: []*Target{
		{Name: "a", Contexts: map[string]string{"b": "target:b"}},
		{Name: "b", Contexts: map[string]string{"a": "target:a"}},
	}}
	_, err := c.ResolvePlan([]string{"a"}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "infinite loop") || !strings.Contains(err.Error(), "a -> b -> a") {
		t.Fatalf("error = %v, want an infinite loop naming the chain", err)
	}
}

func TestTargetJSONEscapesTemplates(t *testing.T) {
	tgt := &Target{
		Args:             map[string]*string{"A": strp("${HOME}"), "N": nil},
		Labels:           map[string]*string{"L": strp("%{x}")},
		DockerfileInline: strp("RUN echo ${X}"),
		Tags:             []string{"${notescaped}"},
	}
	dt, err := json.Marshal(tgt)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"dockerfile-inline":"RUN echo $${X}","args":{"A":"$${HOME}","N":null},"labels":{"L":"%%{x}"},"tags":["${notescaped}"]}`
	if string(dt) != want {
		t.Errorf("json = %s\nwant   %s", dt, want)
	}
	if *tgt.Args["A"] != "${HOME}" {
		t.Error("MarshalJSON modified the target")
	}
}
