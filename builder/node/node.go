// Package node opens anything that speaks the BuildKit API as a Node: the
// engine embedded in kiln, a kiln engine serve or buildkitd address (unix,
// tcp with TLS, docker-container, kube-pod and the like), or a Docker
// engine's BuildKit. It also watches a remote node's liveness while solves
// run on it (Watch, a wrapper of a schedule.Solver), and asks a node
// what translation left open (HostGatewayIP).
package node

import (
	"github.com/moby/buildkit/client"
)

// Node is anything that speaks the BuildKit API.
type Node interface {
	// Name is how progress and errors refer to the node ("embedded", an address).
	Name() string
	// Client is the BuildKit client connected to the node.
	Client() *client.Client
	// Close releases the connection; for the embedded engine it stops the engine.
	Close() error
}
