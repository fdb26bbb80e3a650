package builder

import (
	"io"

	"github.com/moby/buildkit/identity"
	"github.com/moby/buildkit/session"
	spb "github.com/moby/buildkit/sourcepolicy/pb"
)

// runEnv is what the solves of one run share.
type runEnv struct {
	stdout io.Writer
	docker *dockerEngine
	auth   session.Attachable
	shared *sharedLocals
	// provenance is the metadata provenance mode ("" or "disabled": none).
	provenance string
	// policy is the source policy every solve gets.
	policy *spb.Policy
}

func (e *runEnv) ref(string) string { return identity.NewID() }

func (e *runEnv) sharedSession(name, dir string) string { return e.shared.id(name, dir) }
