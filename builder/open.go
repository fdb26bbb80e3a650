package builder

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// OpenOptions are the knobs for Open. The zero value opens the embedded
// engine under the default state directory.
type OpenOptions struct {
	// Root is the embedded engine's state directory ("" means $KILN_ROOT,
	// else /var/lib/kiln).
	Root string
	// TLS for tcp:// addresses: CA certificate, client certificate and key
	// files, and the server name to verify.
	CACert, Cert, Key, ServerName string
}

// DefaultSpec is the builder spec used when the user gives none.
const DefaultSpec = "embedded"

// Open connects to the node named by spec:
//
//	"embedded" or ""                  the BuildKit engine inside this process
//	"docker"                          a Docker engine's built-in BuildKit
//	unix://, tcp://, docker-container://, kube-pod://, ssh://  a BuildKit daemon
func Open(ctx context.Context, spec string, opts OpenOptions) (Node, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		spec = DefaultSpec
	}
	return nil, fmt.Errorf("open builder %q: %w", spec, errors.New("not implemented yet"))
}
