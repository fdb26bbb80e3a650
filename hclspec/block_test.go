package hclspec

import (
	"testing"
)

func TestBlocks(t *testing.T) {
	runParseCases(t, []parseCase{
		{
			name: "references across targets and groups",
			files: hclFile(`
target "base" {
  context = "ctx"
  tags = ["base:1"]
  args = { A = "1" }
}
target "child" {
  inherits = ["base"]
  tags = concat(target.base.tags, ["child:1"])
  args = { B = target.base.args.A, C = target.base.context, D = "${target.other.dockerfile}" }
}
target "other" {
  dockerfile = "Dockerfile.other"
}
group "default" { targets = ["child", "other"] }
target "g" { tags = group.default.targets }`),
			want: map[string]string{
				"child":         `{"inherits":["base"],"tags":["base:1","child:1"],"args":{"B":"1","C":"ctx","D":"Dockerfile.other"}}`,
				"g":             `{"tags":["child","other"]}`,
				"group:default": `{"targets":["child","other"]}`,
			},
		},
		{
			name: "a reference sees the block's own attributes, not inherited ones",
			files: hclFile(`
target "base" { tags = ["base"] }
target "child" {
  inherits = ["base"]
  args = { B = "b" }
}
target "x" {
  tags = target.child.tags
  args = target.child.args
  platforms = target.child.inherits
}`),
			want: map[string]string{"x": `{"args":{"B":"b"},"platforms":["base"]}`},
		},
		{
			name: "the last block of a name is what a reference sees",
			files: hclFile(`
target "t" { tags = ["a"] }
target "t" { context = "x" }
target "u" {
  tags = target.t.tags
  args = { c = target.t.context }
}`),
			want: map[string]string{"u": `{"args":{"c":"x"}}`},
			check: func(t *testing.T, c *testConfig, m *Meta) {
				// Without a Merge method, the later block replaces the earlier.
				if n := len(c.Targets); n != 2 {
					t.Errorf("got %d targets, want 2", n)
				}
			},
		},
		{
			name: "a block may refer to its own attributes",
			files: hclFile(`target "a" {
  context = "c"
  dockerfile = "${target.a.context}/Dockerfile"
}`),
			want: map[string]string{"a": `{"context":"c","dockerfile":"c/Dockerfile"}`},
		},
		{
			name: "globals may refer to targets and are evaluated lazily",
			files: hclFile(`X = target.a.tags[0]
target "a" { tags = ["ta"] }
target "b" { tags = [X] }`),
			want: map[string]string{"b": `{"tags":["ta"]}`},
		},
		{
			name: "escaping and templates",
			files: hclFile(`variable "X" { default = "x" }
target "t" {
  args = { A = "$${X}", B = "${X}", C = "%{ if X == "x" }yes%{ else }no%{ endif }", D = "$$", E = "%%{x}" }
  dockerfile = <<EOT
A=$${X} B=${X}
EOT
}`),
			want: map[string]string{"t": `{"dockerfile":"A=${X} B=x\n","args":{"A":"${X}","B":"x","C":"yes","D":"$$","E":"%{x}"}}`},
		},
		{
			name: "values with their own cty conversion",
			files: hclFile(`target "a" {
  cache-from = ["type=registry,ref=x", {type = "local", src = "/tmp"}]
  output = ["type=docker"]
  pull = "true"
  resources = { memory = "1g" }
}
target "b" {
  tags = [for c in target.a.cache-from : c.type]
  args = { O = target.a.output[0].type, M = target.a.resources.memory, R = jsonencode(target.b2.resources) }
}
target "b2" {}`),
			want: map[string]string{
				"a": `{"cache-from":[{"type":"registry","ref":"x"},{"type":"local","src":"/tmp"}],"output":[{"type":"docker"}],"pull":true,"resources":{"memory":"1g"}}`,
				"b": `{"tags":["registry","local"],"args":{"O":"docker","M":"1g","R":"null"}}`,
			},
		},
		{
			name:  "a custom conversion error",
			files: hclFile(`target "a" { output = "type=docker" }`),
			err:   "docker-bake.hcl:1,24-35: Unsuitable value type; Unsuitable value: list of map of string required, but have string",
		},
		{
			name: "unknown attributes and blocks are ignored",
			files: hclFile(`foo "x" { a = 1 }
target "a" {
  tags = ["ta"]
  unknown-attr = 1
  nested { x = 1 }
}`),
			want: map[string]string{"a": `{"tags":["ta"]}`},
		},
		{
			name: "HCL-JSON with variables, functions and references",
			files: []File{{Name: "docker-bake.json", Data: []byte(`{
  "variable": { "TAG": { "default": "v1" }, "N": {"default": 2} },
  "function": { "f": { "params": ["x"], "result": "${x}-f" } },
  "target": {
    "a": { "tags": ["img:${TAG}", "${f(\"q\")}", "${upper(\"z\")}"], "args": { "N": "${N * 2}" } },
    "b": { "tags": "${target.a.tags}" }
  },
  "group": { "default": { "targets": ["a", "b"] } }
}`)}},
			want: map[string]string{
				"a":             `{"tags":["img:v1","q-f","Z"],"args":{"N":"4"}}`,
				"b":             `{"tags":["img:v1","q-f","Z"]}`,
				"group:default": `{"targets":["a","b"]}`,
			},
		},
		{
			name: "HCL and JSON files merged, later attributes win",
			files: []File{
				{Name: "a.hcl", Data: []byte(`target "app" {
  tags = ["a"]
  args = { FROM = "a" }
}`)},
				{Name: "b.json", Data: []byte(`{"target": {"app": {"args": {"FROM": "b"}}, "j": {"tags": ["j"]}}}`)},
			},
			check: func(t *testing.T, c *testConfig, m *Meta) {
				if len(c.Targets) != 2 || c.Targets[0].Name != "app" || c.Targets[1].Name != "j" {
					t.Fatalf("targets: %+v", c.Targets)
				}
				// testTarget has no Merge method: the later "app" replaces the earlier.
				if got := *c.Targets[0].Args["FROM"]; got != "b" {
					t.Errorf("FROM = %q, want b", got)
				}
			},
		},
		{
			name:  "a file without a known extension is tried as HCL, then JSON",
			files: []File{{Name: "bakefile", Data: []byte(`{"target": {"j": {"tags": ["j"]}}}`)}},
			want:  map[string]string{"j": `{"tags":["j"]}`},
		},
		{
			name: "reference cycle names the chain",
			files: hclFile(`target "a" { tags = target.b.tags }
target "b" { tags = target.a.tags }`),
			err: "docker-bake.hcl:1,21-34: Invalid expression; reference cycle not allowed for target.b.tags (target.b.tags -> target.a.tags -> target.b.tags)",
		},
		{
			name:  "an attribute referring to itself",
			files: hclFile(`target "a" { tags = target.a.tags }`),
			err:   "docker-bake.hcl:1,21-34: Invalid expression; reference cycle not allowed for target.a.tags (target.a.tags -> target.a.tags)",
		},
		{
			name:  "a whole-block self reference is a cycle, not a stack overflow",
			files: hclFile(`target "a" { tags = [jsonencode(target.a)] }`),
			err:   "docker-bake.hcl:1,21-43: Invalid expression; reference cycle not allowed for target.a (target.a -> target.a)",
		},
		{
			name:  "a block type is not a value",
			files: hclFile(`target "a" { tags = keys(target) }`),
			err:   "docker-bake.hcl:1,21-33: Invalid expression; cannot access target as a variable",
		},
		{
			name:  "a block type must be followed by a name",
			files: hclFile(`target "a" { tags = target["x"].tags }`),
			err:   "docker-bake.hcl:1,21-37: Invalid expression; cannot traverse target without attribute",
		},
		{
			name: "unknown block name",
			files: hclFile(`group "g" { targets = ["a"] }
target "a" { tags = ["${group.g.targets[0]}"] }
target "b" { tags = group.nope.targets }`),
			err: `docker-bake.hcl:3,26-31: Unsupported attribute; This object does not have an attribute named "nope".`,
		},
		{
			name: "no block is referable while matrices and names are evaluated",
			files: hclFile(`target "a" { tags = ["x", "y"] }
target "b" {
  matrix = { v = target.a.tags }
  name = "b-${v}"
}`),
			err: `docker-bake.hcl:3,24-26: Missing map element; This map does not have an element with the key "a".`,
		},
		{
			name: "an unknown name before any block of the type is evaluated",
			files: hclFile(`target "def" { dockerfile = target.abc.dockerfile }
target "abc" {
  name = "xyz"
  matrix = {}
}`),
			err: `docker-bake.hcl:1,35-39: Missing map element; This map does not have an element with the key "abc".`,
		},
		{
			name: "an unknown name once a block of the type is evaluated",
			files: hclFile(`target "abc" {
  name = "xyz"
  matrix = {}
}
target "def" { dockerfile = target.abc.dockerfile }`),
			err: `docker-bake.hcl:5,35-39: Unsupported attribute; This object does not have an attribute named "abc".`,
		},
		{
			name:  "a block type is a variable only once a block of it exists",
			files: hclFile(`target "a" { tags = group.x.targets }`),
			err:   `docker-bake.hcl:1,21-26: Unknown variable; There is no variable named "group".`,
		},
		{
			name:  "required attribute missing",
			files: hclFile("group \"g\" {\n}\n"),
			err:   `docker-bake.hcl:1,11-11: Missing required argument; The argument "targets" is required, but no definition was found.`,
		},
		{
			name:  "invalid label",
			files: hclFile(`target "a.b" {}`),
			opts:  Options{ValidateLabel: validateName},
			err:   `docker-bake.hcl:1,8-13: Invalid name; only "[a-zA-Z0-9_-]+" are allowed`,
		},
		{
			name: "all errors of all blocks are reported",
			files: hclFile(`target "a" {
  tags = [UNDEF1]
}
target "b" {
  tags = "notalist"
  args = 3
}`),
			err: `docker-bake.hcl:2,11-17: Unknown variable; There is no variable named "UNDEF1".`,
			errs: []string{
				"docker-bake.hcl:5,11-19: Unsuitable value type; Unsuitable value: list of string required, but have string",
				"docker-bake.hcl:6,10-11: Unsuitable value type; Unsuitable value: map of string required, but have number",
			},
		},
		{
			name:  "syntax errors",
			files: hclFile("target \"a\" {\n  tags = [\n}\n"),
			err:   "docker-bake.hcl:3,1-2: Invalid expression; Expected the start of an expression, but found an invalid expression token.",
		},
		{
			name:  "duplicate keys in JSON",
			files: []File{{Name: "x.json", Data: []byte(`{"G": "a", "G": "b"}`)}},
			err:   `x.json:1,12-15: Duplicate attribute definition; The argument "G" was already set at x.json:1,2-10.`,
		},
	})
}

func validateName(name string) error {
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return errInvalidName
		}
	}
	return nil
}

type nameError struct{}

func (nameError) Error() string { return `only "[a-zA-Z0-9_-]+" are allowed` }

var errInvalidName = nameError{}
