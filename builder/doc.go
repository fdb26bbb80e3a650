// Package builder holds kiln's build pipeline, one package per step; it has
// no code of its own. A planned bake target becomes a request.Request
// (request.Translate, pure), the requests of a run are scheduled as a DAG
// on a schedule.Solver (schedule.Run, bounded by schedule.Limit), the
// solver solves on a node (solve.New over node.Open: the embedded engine
// of package engine, or any BuildKit daemon), shown by progress and told
// by report. The caller composes the chain (cmd/kiln/build.go); inputs,
// pool and trace add to it. docs/building.md has a table of where each
// concern lives.
package builder
