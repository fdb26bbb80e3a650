// Package pool is a set of BuildKit nodes a bake run is spread over: how a
// pool is declared (a pool file in HCL, or a builder created with
// `docker buildx create`), and where each unit of work goes (placement:
// feasibility, then ranking, as a cluster scheduler places work).
//
// Solver is the run's schedule.Solver over the pool: it places each
// (target, platform) unit on a node and solves it with that node's own
// solver, adds the pool's shared cache, splits a multi-platform target and
// joins it (package join), carries target: results across nodes through
// the registry, moves the units of a node that stops answering, and holds
// tags for the release. Opening the nodes and their solvers is the
// caller's (node.Open, solve.New); this package decides.
package pool
