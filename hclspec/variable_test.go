package hclspec

import (
	"testing"
)

func TestVariables(t *testing.T) {
	runParseCases(t, []parseCase{
		{
			name: "defaults, types, globals, references",
			files: hclFile(`
variable "TAG" { default = "latest" }
variable "N" { default = 3 }
variable "B" { default = true }
variable "L" {
  type    = list(string)
  default = ["a", "b"]
}
variable "O" {
  type    = object({a = string, b = number})
  default = {a = "x", b = 1}
}
variable "UNTYPED" {}
variable "TYPED" { type = string }
variable "REF" { default = "${TAG}-${N}" }
GLOBAL = "g-${REF}"
target "t" {
  tags = concat(["img:${TAG}", GLOBAL, "n${N + 1}", "b${B}", "u${UNTYPED}", TYPED == null ? "null" : TYPED], L)
  args = { o = O.a, ob = O.b }
}`),
			want: map[string]string{
				"t": `{"tags":["img:latest","g-latest-3","n4","btrue","u","null","a","b"],"args":{"o":"x","ob":"1"}}`,
			},
		},
		{
			name: "environment overrides parse by type",
			files: hclFile(`
variable "S" {}
variable "N" { default = 1 }
variable "B" { default = false }
variable "L" { type = list(number) }
variable "ST" { type = set(string) }
variable "T" { type = tuple([string, number, bool]) }
variable "MP" { type = map(string) }
variable "OB" { type = object({a = string}) }
variable "TS" { type = string }
target "t" {
  args = {
    S = S, N = N + 1, B = B ? "yes" : "no", L = jsonencode(L), ST = jsonencode(ST),
    T = jsonencode(T), MP = jsonencode(MP), OB = jsonencode(OB), TS = TS
  }
}`),
			opts: Options{LookupEnv: env(map[string]string{
				"S": "hello", "N": "41", "B": "true", "L": "1,2,3", "ST": "b,a,b", "T": "x,2,true",
				"MP": "a:1,b:2", "OB_JSON": `{"a":"z"}`, "TS": "str",
			})},
			want: map[string]string{
				"t": `{"args":{"S":"hello","N":"42","B":"yes","L":"[1,2,3]","ST":"[\"a\",\"b\"]","T":"[\"x\",2,true]","MP":"{\"a\":\"1\",\"b\":\"2\"}","OB":"{\"a\":\"z\"}","TS":"str"}}`,
			},
		},
		{
			name:  "JSON override wins over plain for typed variables",
			files: hclFile(`variable "L" { type = list(number) }` + "\n" + `target "t" { args = { L = jsonencode(L) } }`),
			opts:  Options{LookupEnv: env(map[string]string{"L": "1", "L_JSON": "[5,6]"})},
			want:  map[string]string{"t": `{"args":{"L":"[5,6]"}}`},
		},
		{
			name: "--var takes precedence over the environment",
			files: hclFile(`variable "A" { default = "d" }
target "t" { args = { A = A } }`),
			opts: Options{Vars: map[string]string{"A": "var"}, LookupEnv: env(map[string]string{"A": "env"})},
			want: map[string]string{"t": `{"args":{"A":"var"}}`},
		},
		{
			name: "reserved defaults cannot be redeclared",
			files: hclFile(`variable "BAKE_LOCAL_PLATFORM" { default = "nope" }
variable "target" { default = "v" }
target "t" { args = { P = BAKE_LOCAL_PLATFORM, C = BAKE_CMD_CONTEXT } }`),
			opts: Options{Defaults: map[string]string{"BAKE_LOCAL_PLATFORM": "linux/amd64", "BAKE_CMD_CONTEXT": "cwd://"}},
			want: map[string]string{"t": `{"args":{"P":"linux/amd64","C":"cwd://"}}`},
			check: func(t *testing.T, c *testConfig, m *Meta) {
				if len(m.Variables) != 0 {
					t.Errorf("reserved names listed as variables: %+v", m.Variables)
				}
			},
		},
		{
			name: "list entries",
			files: hclFile(`variable "A" {
  description = "about A"
  default = "a"
}
variable "N" {
  type = number
  default = 2
}
variable "L" { default = ["x", 1] }
variable "NUL" { type = string }
variable "S" {
  type = string
  default = "s"
}`),
			check: func(t *testing.T, c *testConfig, m *Meta) {
				want := []Variable{
					{Name: "A", Description: "about A", Value: ptr("a")},
					{Name: "N", Type: "number", Value: ptr("2")},
					{Name: "L", Value: ptr(`["x",1]`)},
					{Name: "NUL", Type: "string"},
					{Name: "S", Type: "string", Value: ptr("s")},
				}
				if len(m.Variables) != len(want) {
					t.Fatalf("got %d variables, want %d", len(m.Variables), len(want))
				}
				for i, w := range want {
					g := m.Variables[i]
					if g.Name != w.Name || g.Description != w.Description || g.Type != w.Type || str(g.Value) != str(w.Value) {
						t.Errorf("variable %d: got %+v (value %q), want %+v (value %q)", i, g, str(g.Value), w, str(w.Value))
					}
				}
			},
		},
		{
			name: "later files override variables",
			files: []File{
				{Name: "a.hcl", Data: []byte(`variable "TAG" { default = "a" }
G = "ga"
target "t" { tags = [TAG, G] }`)},
				{Name: "b.hcl", Data: []byte(`variable "TAG" { default = "b" }
G = "gb"`)},
			},
			want: map[string]string{"t": `{"tags":["b","gb"]}`},
		},
		{
			name: "a global of a variable's name wins, and takes the environment as the variable would",
			files: hclFile(`variable "A" {
  type = number
  default = 1
}
A = "glob"
target "t" { args = { A = A } }`),
			opts: Options{LookupEnv: env(map[string]string{"A": "fromenv"})},
			want: map[string]string{"t": `{"args":{"A":"fromenv"}}`},
			check: func(t *testing.T, c *testConfig, m *Meta) {
				if v := m.Variables[0]; v.Type != "" || str(v.Value) != "fromenv" {
					t.Errorf("listed as %+v (value %q)", v, str(v.Value))
				}
			},
		},
		{
			name: "validation passes",
			files: hclFile(`variable "PORT" {
  default = 8080
  validation {
    condition = PORT > 1000
    error_message = "too small"
  }
}
target "t" { args = { P = PORT } }`),
			want: map[string]string{"t": `{"args":{"P":"8080"}}`},
		},
		{
			name: "every failed validation is reported",
			files: hclFile(`variable "PORT" {
  default = 80
  validation {
    condition = PORT > 1000
    error_message = "PORT must be > 1000"
  }
  validation {
    condition = PORT < 10
    error_message = "PORT must be < 10"
  }
}`),
			err:  "docker-bake.hcl:4,17-28: Validation failed; PORT must be > 1000",
			errs: []string{"docker-bake.hcl:8,17-26: Validation failed; PORT must be < 10"},
		},
		{
			name: "validation condition must be a bool",
			files: hclFile(`variable "A" {
  default = "x"
  validation {
    condition = null
    error_message = "m"
  }
}`),
			err: "docker-bake.hcl:4,17-21: Invalid condition result; Condition expression must return either true or false, not null.",
		},
		{
			name: "a validation without condition fails as null",
			files: hclFile(`variable "A" {
  default = "a"
  validation {
    error_message = "x"
  }
}`),
			err: "docker-bake.hcl:3,14-14: Invalid condition result; Condition expression must return either true or false, not null.",
		},
		{
			name: "a validation without error message",
			files: hclFile(`variable "A" {
  default = "a"
  validation {
    condition = false
  }
}`),
			err: "docker-bake.hcl:4,17-22: Validation failed; This check failed, but has an invalid error message.",
		},
		{
			name: "unknown attributes and blocks in a variable are ignored, not in a validation",
			files: hclFile(`variable "A" {
  default = "a"
  foo = 1
  bar {}
  validation {
    condition = true
    error_message = "x"
    extra = 1
  }
}`),
			err: `docker-bake.hcl:8,5-10: Unsupported argument; An argument named "extra" is not expected here.`,
		},
		{
			name:  "typed default of the wrong type",
			files: hclFile("variable \"N\" {\n  type = number\n  default = \"abc\"\n}"),
			err:   "docker-bake.hcl:1,14-14: Invalid value; invalid type number for variable N default value: a number is required",
		},
		{
			name:  "bad number from the environment",
			files: hclFile(`variable "N" { default = 1 }`),
			opts:  Options{LookupEnv: env(map[string]string{"N": "abc"})},
			err:   `docker-bake.hcl:1,16-16: Invalid value; failed to parse N as number: strconv.ParseFloat: parsing "abc": invalid syntax`,
		},
		{
			name:  "bad bool from the environment",
			files: hclFile(`variable "B" { default = false }`),
			opts:  Options{LookupEnv: env(map[string]string{"B": "maybe"})},
			err:   `docker-bake.hcl:1,16-16: Invalid value; failed to parse B as bool: strconv.ParseBool: parsing "maybe": invalid syntax`,
		},
		{
			name:  "tuple from CSV with the wrong arity",
			files: hclFile(`variable "T" { type = tuple([string, number]) }`),
			opts:  Options{LookupEnv: env(map[string]string{"T": "a"})},
			err:   "docker-bake.hcl:1,16-16: Invalid value; failed to convert variable T from CSV: tuple expects 2 elements but only 1 provided",
		},
		{
			name:  "object from a plain environment value",
			files: hclFile(`variable "O" { type = object({a = string}) }`),
			opts:  Options{LookupEnv: env(map[string]string{"O": "x"})},
			err:   "docker-bake.hcl:1,16-16: Invalid value; unsupported type object for variable O",
		},
		{
			name:  "untyped list default cannot come from the environment",
			files: hclFile(`variable "D" { default = ["x"] }`),
			opts:  Options{LookupEnv: env(map[string]string{"D": "a"})},
			err:   "docker-bake.hcl:1,16-16: Invalid value; unsupported type tuple for variable D",
		},
		{
			name:  "invalid type expression",
			files: hclFile(`variable "BAD" { type = lisst(string) }`),
			err:   `docker-bake.hcl:1,25-38: Invalid type specification; Keyword "lisst" is not a valid type constructor.`,
		},
		{
			name: "variable cycle names the chain",
			files: hclFile(`variable "A" { default = "${B}" }
variable "B" { default = "${C}" }
variable "C" { default = "${A}" }`),
			err: "docker-bake.hcl:3,26-32: Invalid expression; variable cycle not allowed for A (variable A -> variable B -> variable C -> variable A)",
		},
		{
			name: "HCL-JSON variables: a default cannot call a user function (as in buildx)",
			files: []File{{Name: "docker-bake.json", Data: []byte(`{
  "function": {"f": {"params": ["x"], "result": "${x}-f"}},
  "variable": {"X": {"default": "${f(\"a\")}"}}
}`)}},
			err: `docker-bake.json:3,36-37: Call to unknown function; There is no function named "f". Did you mean "or"?`,
		},
		{
			name: "HCL-JSON variables, types and globals",
			files: []File{{Name: "docker-bake.json", Data: []byte(`{
  "variable": {"Y": {"default": "y"}, "T": {"type": "list(string)", "default": ["a"]}},
  "G": "${upper(Y)}",
  "target": [{"a": {"tags": ["${Y}", "${G}"], "args": {"T": "${T[0]}", "K${Y}": "v"}}}]
}`)}},
			want: map[string]string{"a": `{"tags":["y","Y"],"args":{"T":"a","Ky":"v"}}`},
		},
		{
			name: "every failing variable is reported once",
			files: hclFile(`variable "A" { default = NOPE1 }
variable "B" { default = "${A}-x" }
variable "C" { default = NOPE2 }`),
			err:  `docker-bake.hcl:1,26-31: Unknown variable; There is no variable named "NOPE1".`,
			errs: []string{`docker-bake.hcl:3,26-31: Unknown variable; There is no variable named "NOPE2".`},
		},
		{
			name:  "undefined variable in a default",
			files: hclFile(`variable "A" { default = NOPE }`),
			err:   `docker-bake.hcl:1,26-30: Unknown variable; There is no variable named "NOPE".`,
		},
	})
}

func ptr(s string) *string { return &s }

func str(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
