package bake

import (
	"testing"
)

func TestParseComposeXBake(t *testing.T) {
	f := File{Name: "compose.yaml", Data: []byte(`
services:
  web.app:
    image: web:1
    build:
      context: ./web
      args:
        A: "1"
        UNSET:
      additional_contexts:
        base: service:db
      x-bake:
        tags: [web:latest]
        platforms: linux/arm64 linux/amd64
        pull: true
  db:
    build: ./db
  cache:
    image: redis
`)}
	c, err := parseCompose([]File{f}, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Targets) != 2 || c.Targets[0].Name != "db" || c.Targets[1].Name != "web_app" {
		t.Fatalf("targets: %+v", c.Targets)
	}
	if g := c.Groups[0]; g.Name != "default" || len(g.Targets) != 2 {
		t.Fatalf("default group: %+v", g)
	}
	web := c.Targets[1]
	if len(web.Tags) != 1 || web.Tags[0] != "web:latest" {
		t.Errorf("x-bake tags should replace the image name as tag: %v", web.Tags)
	}
	if web.Contexts["base"] != "target:db" {
		t.Errorf("service: context not turned into target: %v", web.Contexts)
	}
	if _, ok := web.Args["UNSET"]; ok || *web.Args["A"] != "1" {
		t.Errorf("args: %v", web.Args)
	}
	if len(web.Platforms) != 2 || web.Pull == nil || !*web.Pull {
		t.Errorf("x-bake platforms/pull: %v %v", web.Platforms, web.Pull)
	}
}

func TestIsComposeFile(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		compose    bool
		wantErr    bool
	}{
		{"compose.yml", "services:\n  a:\n    build: .\n", true, false},
		{"x.yaml", "hello: [", true, true},
		{"docker-bake.hcl", "services:\n  a: {}\n", false, false},
		{"bakefile", "target \"a\" {}\n", false, true},
		{"bakefile", "services:\n  a:\n    build: .\n", true, false},
	} {
		got, err := isComposeFile(File{Name: tc.name, Data: []byte(tc.data)}, map[string]string{})
		if got != tc.compose || (err != nil) != tc.wantErr {
			t.Errorf("%s %q: compose=%v err=%v", tc.name, tc.data, got, err)
		}
	}
}
