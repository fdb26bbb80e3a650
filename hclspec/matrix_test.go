package hclspec

import (
	"reflect"
	"testing"
)

func TestMatrix(t *testing.T) {
	runParseCases(t, []parseCase{
		{
			name: "objects, tuples, variables and names",
			files: hclFile(`variable "VERS" { default = ["1.0", "2.0"] }
target "app" {
  matrix = {
    item = [{ name = "a", v = "1" }, { name = "b", v = "2" }]
    ver = VERS
  }
  name = "app-${item.name}-${replace(ver, ".", "-")}"
  args = { V = item.v, VER = ver }
}
target "tup" {
  matrix = { x = [["p", 1], ["q", 2]] }
  name = "tup-${x[0]}"
  args = { N = x[1] }
}
target "plain" {}`),
			want: map[string]string{
				"app-a-1-0": `{"args":{"V":"1","VER":"1.0"}}`,
				"app-b-2-0": `{"args":{"V":"2","VER":"2.0"}}`,
				"tup-q":     `{"args":{"N":"2"}}`,
			},
			check: func(t *testing.T, c *testConfig, m *Meta) {
				want := map[string]map[string][]string{
					"group": {},
					"target": {
						"app":   {"app-a-1-0", "app-b-1-0", "app-a-2-0", "app-b-2-0"},
						"tup":   {"tup-p", "tup-q"},
						"plain": {"plain"},
					},
				}
				if !reflect.DeepEqual(m.Renamed, want) {
					t.Errorf("Renamed = %v, want %v", m.Renamed, want)
				}
				if len(c.Targets) != 7 {
					t.Errorf("got %d targets, want 7", len(c.Targets))
				}
			},
		},
		{
			name: "matrix targets refer to each other by their new names",
			files: hclFile(`target "a" {
  matrix = { v = ["x", "y"] }
  name = "a-${v}"
  tags = ["a:${v}"]
}
target "b" { tags = concat(target.a-x.tags, target.a-y.tags) }`),
			want: map[string]string{"b": `{"tags":["a:x","a:y"]}`},
		},
		{
			name: "a global is evaluated where it is first used, then kept (as buildx does)",
			files: hclFile(`G = "g-${v}"
target "a" {
  matrix = { v = ["x", "y"] }
  name = "a-${v}"
  tags = [G]
}`),
			want: map[string]string{"a-x": `{"tags":["g-x"]}`, "a-y": `{"tags":["g-x"]}`},
		},
		{
			name:  "without name every combination keeps the label",
			files: hclFile(`target "a" { matrix = { v = ["x", "y"] } }`),
			err:   `docker-bake.hcl:1,8-11: Invalid name; duplicate name "a"`,
		},
		{
			name: "an empty list expands to nothing",
			files: hclFile(`target "e" {
  matrix = { x = [] }
  name = "e-${x}"
}`),
			check: func(t *testing.T, c *testConfig, m *Meta) {
				if len(c.Targets) != 0 || len(m.Renamed["target"]) != 0 {
					t.Errorf("targets %v, renamed %v", c.Targets, m.Renamed)
				}
			},
		},
		{
			name: "duplicate names",
			files: hclFile(`target "app" {
  matrix = { x = ["a", "b"], y = ["1"] }
  name = "app-${y}"
}`),
			err: `docker-bake.hcl:1,8-13: Invalid name; duplicate name "app-1"`,
		},
		{
			name: "names are validated",
			files: hclFile(`target "app" {
  matrix = { x = ["a/b"] }
  name = "app-${x}"
}`),
			opts: Options{ValidateLabel: validateName},
			err:  `docker-bake.hcl:1,8-13: Invalid name; only "[a-zA-Z0-9_-]+" are allowed`,
		},
		{
			name:  "name requires matrix",
			files: hclFile("target \"a\" {\n  name = \"x\"\n}"),
			err:   "docker-bake.hcl:1,8-11: Invalid name; name requires matrix",
		},
		{
			name:  "name must be a string",
			files: hclFile("target \"b\" {\n  matrix = { x = [[1], [2]] }\n  name = x\n}"),
			err:   "docker-bake.hcl:1,8-11: Invalid name; string required, but have tuple",
		},
		{
			name:  "matrix must be a map",
			files: hclFile("target \"e\" {\n  matrix = [\"a\"]\n}"),
			err:   "docker-bake.hcl:1,8-11: Invalid name; matrix must be a map",
		},
		{
			name:  "matrix values must be lists",
			files: hclFile("target \"e\" {\n  matrix = { x = \"a\" }\n  name = x\n}"),
			err:   "docker-bake.hcl:1,8-11: Invalid name; matrix values must be a list",
		},
		{
			name:  "groups reject matrix",
			files: hclFile("group \"g\" {\n  matrix = { a = [\"x\"] }\n  targets = [\"t\"]\n}"),
			err:   "docker-bake.hcl:1,7-10: Invalid name; matrix is not supported for groups",
		},
		{
			name:  "groups reject name",
			files: hclFile("group \"g\" {\n  name = \"x\"\n  targets = [\"t\"]\n}"),
			err:   "docker-bake.hcl:1,7-10: Invalid name; name is not supported for groups",
		},
		{
			name: "group matrices when the caller allows them",
			files: hclFile(`group "g" {
  matrix = { a = ["x", "y"] }
  name = "g-${a}"
  targets = ["t-${a}"]
}`),
			opts: Options{NoMatrix: []string{}},
			want: map[string]string{"group:g-x": `{"targets":["t-x"]}`, "group:g-y": `{"targets":["t-y"]}`},
		},
	})
}
