// Package builder turns a bake Plan into BuildKit solves and runs them on
// nodes: the engine embedded in kiln, or any daemon that speaks the BuildKit API.
package builder

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
