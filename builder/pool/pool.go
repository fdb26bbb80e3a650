package pool

import "github.com/hashicorp/hcl/v2"

// Pool is the nodes of a run and what they share.
type Pool struct {
	Nodes []Node
	// CacheRegistry is the registry repository where each (target,
	// platform) exports its cache and imports its own and its
	// dependencies' ("" for none).
	CacheRegistry string
	// CacheDir is a directory on the machine kiln runs on for type=local
	// cache, one subdirectory per (target, platform) ("" for none).
	CacheDir string
}

// Node is one BuildKit daemon of a pool.
type Node struct {
	Name string
	// Address is what node.Open takes: unix://, tcp://, docker-container://, …
	Address string
	TLS     TLS
	// Platforms the node builds natively; empty means what it reports.
	Platforms []string
	// MaxSolves bounds the solves run on the node at once (0: no bound).
	MaxSolves int
	// DeclRange is where the node was declared (nil when not from a file).
	DeclRange *hcl.Range
}

// TLS is a node's client TLS files (all empty for none).
type TLS struct {
	CA, Cert, Key, ServerName string
}

// Enabled reports whether any TLS setting is given.
func (t TLS) Enabled() bool { return t != TLS{} }
