// Package skip decides and records whether a target is up to date: its
// fingerprint (everything that decides what its build produces: the
// resolved definition, the content of the files it reads, its `target:`
// dependencies' fingerprints, the digests its remote references point at
// now, the kiln and BuildKit versions, the node, the environment that
// changes a build's meaning) equals the one recorded after its last
// successful build, and the outputs that build wrote are still as it
// wrote them. Anything it cannot verify means "build": a remote reference
// that does not resolve, ADD of a URL, --no-cache, --pull, an output to
// standard output, a subrequest.
//
// It contacts no BuildKit engine; it reads files, registries (digests
// only) and Git remotes (ls-remote). The caller composes it with the run:
// Evaluate before, Store.Put after each target's outputs are complete.
package skip

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Facts are what decide a target's result. Secret values are not among
// them (BuildKit leaves them out of its cache keys too): only the ids and
// sources the definition names.
type Facts struct {
	// Definition is the target as --print shows it (after --set, --var
	// and the flags).
	Definition json.RawMessage `json:"definition"`
	// Solve is what kiln asks BuildKit for (attributes, local
	// directories, exports, cache), as translated for this run.
	Solve json.RawMessage `json:"solve"`
	// Content is builder/inputs' fingerprint of the files the build reads.
	Content string `json:"content"`
	// Deps are the fingerprints of the targets used through `target:`
	// contexts, by context name.
	Deps map[string]string `json:"deps,omitempty"`
	// Remote maps each remote reference to what it points at now.
	Remote map[string]string `json:"remote,omitempty"`
	// Versions of kiln and BuildKit.
	Versions map[string]string `json:"versions"`
	// Node identifies where the build runs.
	Node string `json:"node"`
	// Env is the environment that changes a build's meaning.
	Env map[string]string `json:"env,omitempty"`
}

// Fingerprint is the sha256 of the facts' JSON (encoding/json writes map
// keys sorted, so equal facts give equal fingerprints).
func (f *Facts) Fingerprint() string {
	dt, err := json.Marshal(f)
	if err != nil {
		// RawMessage fields that are not JSON: no fingerprint can match
		return ""
	}
	sum := sha256.Sum256(dt)
	return hex.EncodeToString(sum[:])
}
