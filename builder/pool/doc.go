// Package pool is a set of BuildKit nodes a bake run is spread over: how a
// pool is declared (a pool file in HCL, or a builder created with
// `docker buildx create`), and where each unit of work goes (placement:
// feasibility, then ranking, as a cluster scheduler places work).
//
// Opening the nodes is builder/node's job (node.Open takes each address);
// this package decides, and knows nothing of BuildKit's API.
package pool
