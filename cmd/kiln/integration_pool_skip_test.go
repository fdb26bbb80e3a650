package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestIntegrationPoolSkip checks that the up-to-date check names what a
// run builds on: a target built on one node is built again when the run
// moves to a pool, an unchanged pool (in any order, from --builder or a
// pool file) finds it up to date, and a node added to the pool builds it
// again. The summary of a run that contacted nothing names the pool.
func TestIntegrationPoolSkip(t *testing.T) {
	a, b := servePoolNode(t), servePoolNode(t)
	dir := t.TempDir()
	n := nonce()
	writeFiles(t, dir, map[string]string{
		"ctx/Dockerfile": "FROM scratch\nCOPY f.txt /\n",
		"ctx/f.txt":      "pool skip " + n,
		"docker-bake.hcl": `target "x" {
  context = "ctx"
  output  = ["type=local,dest=out"]
}
`,
		"ab.hcl":  fmt.Sprintf("node \"a\" {\n  address = %q\n}\nnode \"b\" {\n  address = %q\n}\n", a.addr, b.addr),
		"abe.hcl": fmt.Sprintf("node \"a\" {\n  address = %q\n}\nnode \"b\" {\n  address = %q\n}\nnode \"local\" {\n  address = \"embedded\"\n}\n", a.addr, b.addr),
	})
	client := &kilnEnv{root: t.TempDir()}
	steps := []struct {
		what  string
		args  []string
		built bool
		where string // how the summary names the nodes
	}{
		{what: "one node", args: []string{"--builder", a.addr}, built: true},
		{what: "the same node", args: []string{"--builder", a.addr}, where: a.addr},
		{what: "a pool of that node and another", args: []string{"--builder", a.addr, "--builder", b.addr}, built: true},
		{what: "the same pool", args: []string{"--builder", a.addr, "--builder", b.addr}, where: "a pool of 2 node(s) (" + a.addr + ", " + b.addr + ")"},
		{what: "the same pool in another order", args: []string{"--builder", b.addr, "--builder", a.addr}, where: "a pool of 2 node(s) (" + b.addr + ", " + a.addr + ")"},
		{what: "the same pool from a file", args: []string{"--pool", filepath.Join(dir, "ab.hcl")}, where: "a pool of 2 node(s) (a, b)"},
		{what: "a node added to the pool", args: []string{"--pool", filepath.Join(dir, "abe.hcl")}, built: true},
		{what: "the larger pool again", args: []string{"--pool", filepath.Join(dir, "abe.hcl")}, where: "a pool of 3 node(s) (a, b, local)"},
	}
	for _, s := range steps {
		r := client.bake(t, dir, append(s.args, "x")...).mustSucceed(t)
		built, skipped := builtAndSkipped(t, r)
		if s.built && !slices.Equal(built, []string{"x"}) || !s.built && !slices.Equal(skipped, []string{"x"}) {
			t.Errorf("%s: built %v, up to date %v; want x %s\n%s", s.what, built, skipped, map[bool]string{true: "built", false: "up to date"}[s.built], tail(r.out, 20))
		}
		if s.where != "" && !strings.Contains(r.out, "kiln: 1 target(s) on "+s.where+":") {
			t.Errorf("%s: the summary does not name %q:\n%s", s.what, s.where, tail(r.out, 10))
		}
	}
}
