package bake

import (
	"github.com/docker/buildx/util/buildflags"
	"github.com/docker/buildx/util/urlutil"
)

// IsRemoteURL reports whether a context, Dockerfile or bake file name is
// remote (an HTTP(S) URL or a Git reference) rather than a local path:
// buildx's urlutil.IsRemoteURL, the one predicate kiln uses for it.
func IsRemoteURL(s string) bool { return urlutil.IsRemoteURL(s) }

// urlKinds remembers what IsRemoteURL and buildflags.IsGitSSH say of each
// context: both parse it as a Git URL and build an error with a stack
// trace when it is not one, and thousands of targets share a few contexts.
type urlKinds struct{ remote, gitSSH map[string]bool }

func (u *urlKinds) isRemote(s string) bool {
	v, ok := u.remote[s]
	if !ok {
		if u.remote == nil {
			u.remote = map[string]bool{}
		}
		v = IsRemoteURL(s)
		u.remote[s] = v
	}
	return v
}

func (u *urlKinds) isGitSSH(s string) bool {
	v, ok := u.gitSSH[s]
	if !ok {
		if u.gitSSH == nil {
			u.gitSSH = map[string]bool{}
		}
		v = buildflags.IsGitSSH(s)
		u.gitSSH[s] = v
	}
	return v
}
