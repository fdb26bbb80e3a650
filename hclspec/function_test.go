package hclspec

import (
	"testing"
)

func TestFunctions(t *testing.T) {
	runParseCases(t, []parseCase{
		{
			name: "params, variadic params, calls between functions",
			files: hclFile(`
function "tag" {
  params = [name, ver]
  result = "${name}:${ver}"
}
function "join_all" {
  params = [sep]
  variadic_params = items
  result = join(sep, items)
}
function "twice" {
  params = [x]
  result = tag(x, x)
}
function "withvar" {
  params = []
  result = "${V}!"
}
variable "V" { default = "v" }
target "t" {
  tags = [tag("a", "1"), join_all("-", "x", "y", "z"), join_all("+"), twice("q"), withvar()]
}`),
			want: map[string]string{"t": `{"tags":["a:1","x-y-z","","q:q","v!"]}`},
		},
		{
			name: "a variable default may call a function",
			files: hclFile(`function "up" {
  params = [s]
  result = upper(s)
}
variable "A" { default = up("a") }
target "t" { args = { A = A } }`),
			want: map[string]string{"t": `{"args":{"A":"A"}}`},
		},
		{
			name: "function cycle names the chain",
			files: hclFile(`function "f" {
  params = [x]
  result = g(x)
}
function "g" {
  params = [x]
  result = f(x)
}`),
			err: "docker-bake.hcl:7,12-16: Invalid expression; function cycle not allowed for f (function f -> function g -> function f)",
		},
		{
			name: "unknown attribute in a function block",
			files: hclFile(`function "f" {
  params = [x]
  result = x
  extra = 1
}`),
			err: `docker-bake.hcl:4,3-8: Unsupported argument; An argument named "extra" is not expected here.`,
		},
		{
			name: "function without result",
			files: hclFile(`function "f" {
  params = [x]
}`),
			err: "docker-bake.hcl:2,3-15: Invalid function; empty result not allowed for f",
		},
		{
			name: "function without params",
			files: hclFile(`function "f" {
  result = 1
}`),
			err: "docker-bake.hcl:1,10-13: Invalid function; empty params not allowed for f",
		},
		{
			name: "parameter names must be identifiers",
			files: hclFile(`function "f" {
  params = ["x"]
  result = 1
}`),
			err: "docker-bake.hcl:2,13-16: Invalid param element; Each parameter name must be an identifier.",
		},
		{
			name: "undefined variable in a function body",
			files: hclFile(`function "f" {
  params = [x]
  result = "${x}${NOPE}"
}`),
			err: `docker-bake.hcl:3,12-25: Invalid expression; variable "NOPE" does not exist: undefined`,
		},
		{
			name: "every failing function is reported once",
			files: hclFile(`function "f" {
  params = [x]
}
function "g" {
  params = [x]
  result = f(x)
}
function "h" {
  result = 1
}`),
			err:  "docker-bake.hcl:2,3-15: Invalid function; empty result not allowed for f",
			errs: []string{"docker-bake.hcl:8,10-13: Invalid function; empty params not allowed for h"},
		},
		{
			name:  "unknown function",
			files: hclFile(`target "t" { tags = [nofunc("x")] }`),
			err:   `docker-bake.hcl:1,22-28: Call to unknown function; There is no function named "nofunc".`,
		},
		{
			name:  "wrong number of arguments",
			files: hclFile("function \"f\" {\n  params = [a]\n  result = a\n}\ntarget \"t\" { tags = [f()] }"),
			err:   `docker-bake.hcl:5,24-25: Not enough function arguments; Function "f" expects 1 argument(s). Missing value for "a".`,
		},
	})
}
