package bake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/docker/buildx/util/buildflags"
	"github.com/docker/buildx/util/urlutil"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/dfgitutil"
	"github.com/moby/buildkit/util/gitutil"
)

// Input is the source a remote bake definition was read from, as buildx's
// bake.Input: the Git checkout or unpacked archive (State), and the URL
// targets use as their default context. A tarball's URL is "" (buildx
// clears it once the archive is unpacked); a plain file has no State.
type Input struct {
	State *llb.State
	URL   string
}

// RemoteDefinition is a remote bake definition: the first argument of
// `bake` was a Git or HTTP(S) URL.
type RemoteDefinition struct {
	URL string
	// CmdContext is BAKE_CMD_CONTEXT: "cwd://", or the second argument
	// when it is a URL too.
	CmdContext string
	// Read fetches the named files from URL (the default names when none)
	// and returns them with the Input their targets build from.
	Read func(ctx context.Context, names []string) ([]File, *Input, error)
}

// SplitRemoteArgs separates the bake arguments as buildx's bakeArgs does:
// a URL first is the remote definition, a URL after it is the command
// context (BAKE_CMD_CONTEXT), the rest are targets.
func SplitRemoteArgs(args []string) (remoteURL, cmdContext string, targets []string) {
	cmdContext, targets = "cwd://", args
	if len(targets) == 0 || !urlutil.IsRemoteURL(targets[0]) {
		return "", cmdContext, targets
	}
	remoteURL, targets = targets[0], targets[1:]
	if len(targets) == 0 || !urlutil.IsRemoteURL(targets[0]) {
		return remoteURL, cmdContext, targets
	}
	return remoteURL, targets[0], targets[1:]
}

// readRemoteFiles reads the bake files of a remote definition as buildx's
// readBakeFiles does: names prefixed cwd:// are local files read after the
// remote ones, the others are read from the remote source.
func readRemoteFiles(ctx context.Context, r *RemoteDefinition, names []string, stdin io.Reader) ([]File, *Input, error) {
	var local, remote []string
	for _, n := range names {
		if v, ok := strings.CutPrefix(n, "cwd://"); ok {
			local = append(local, v)
		} else {
			remote = append(remote, n)
		}
	}
	files, inp, err := r.Read(ctx, remote)
	if err != nil {
		return nil, nil, err
	}
	if len(local) > 0 {
		lfiles, err := ReadLocalFiles(local, stdin)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, lfiles...)
	}
	return files, inp, nil
}

// remoteContexts is where a target of a remote definition reads its
// contexts from, as buildx's updateContext decides: a relative context
// becomes a folder of the remote source (State) named by a URL with that
// subdirectory (what --print shows); "." is the remote URL itself.
type remoteContexts struct {
	context *llb.State
	named   map[string]NamedContext
	// secrets are the Git credentials of the definition's host, given to
	// a build whose context is on that host (buildx's toBuildOpt).
	secrets buildflags.Secrets
}

// NamedContext is a named context of a remote definition's target that
// does not read what `contexts` says literally: State, when set, is a
// folder of the remote source; Path is the URL it stands for.
type NamedContext struct {
	State *llb.State
	Path  string
}

// ContextState is the folder of the remote source the target's context
// is, or nil when the context is what Context says.
func (t *Target) ContextState() *llb.State {
	if t.remote == nil {
		return nil
	}
	return t.remote.context
}

// RemoteNamedContext returns how named context name is read when it is
// taken from the remote source rather than as written in Contexts.
func (t *Target) RemoteNamedContext(name string) (NamedContext, bool) {
	if t.remote == nil {
		return NamedContext{}, false
	}
	nc, ok := t.remote.named[name]
	return nc, ok
}

// RemoteSecrets are the Git credentials (BUILDX_BAKE_GIT_AUTH_TOKEN,
// BUILDX_BAKE_GIT_AUTH_HEADER) a build of a remote definition's target
// gets besides its own secrets; they are not printed, as in buildx.
func (t *Target) RemoteSecrets() buildflags.Secrets {
	if t.remote == nil {
		return nil
	}
	return t.remote.secrets
}

// GitAuthSecrets are buildx's gitAuthSecretsFromEnviron: the token and
// header in BUILDX_BAKE_GIT_AUTH_TOKEN and BUILDX_BAKE_GIT_AUTH_HEADER (any
// case), as the secrets BuildKit's git source reads for the URL's host.
func GitAuthSecrets(remoteURL string, environ []string) buildflags.Secrets {
	host, ok := gitAuthHost(remoteURL)
	if !ok {
		return nil
	}
	var out buildflags.Secrets
	for _, s := range []struct{ id, env string }{
		{llb.GitAuthTokenKey, "BUILDX_BAKE_GIT_AUTH_TOKEN"},
		{llb.GitAuthHeaderKey, "BUILDX_BAKE_GIT_AUTH_HEADER"},
	} {
		for _, kv := range environ {
			if k, _, ok := strings.Cut(kv, "="); ok && strings.EqualFold(k, s.env) {
				out = append(out, &buildflags.Secret{ID: s.id + "." + host, Env: k})
				break
			}
		}
	}
	return out
}

func gitAuthHost(u string) (string, bool) {
	g, err := gitutil.ParseURL(u)
	if err != nil || g.Host == "" {
		return "", false
	}
	return g.Host, true
}

// remoteSession sets what a build of t gets from the remote definition
// beyond its contexts: the Git credentials when the context is on the
// definition's host, the default SSH agent when either is Git over SSH.
// contextPath is the context after applyRemoteInput.
func (t *Target) remoteSession(inp *Input, contextPath string, environ []string, urls *urlKinds) {
	if len(t.SSH) == 0 && urls.isGitSSH(contextPath) || inp != nil && urls.isGitSSH(inp.URL) {
		t.sshDefault = true
	}
	if inp == nil || !urls.isRemote(inp.URL) || !urls.isRemote(contextPath) {
		return
	}
	h1, ok1 := gitAuthHost(inp.URL)
	h2, ok2 := gitAuthHost(contextPath)
	if !ok1 || !ok2 || !strings.EqualFold(h1, h2) {
		return
	}
	if secrets := GitAuthSecrets(inp.URL, environ); len(secrets) > 0 {
		if t.remote == nil {
			t.remote = &remoteContexts{}
		}
		t.remote.secrets = secrets
	}
}

// applyRemoteInput is buildx's updateContext and the checks toBuildOpt
// makes of a remote invocation. contextPath is the target's context after
// path.Clean (cwd:// kept); the returned path is what --print shows.
func (t *Target) applyRemoteInput(inp *Input, contextPath string) (string, error) {
	if inp == nil {
		return contextPath, nil
	}
	if inp.State != nil {
		rc := &remoteContexts{}
		for _, k := range sortedKeys(t.Contexts) {
			v := t.Contexts[k]
			switch {
			case v == ".":
				rc.setNamed(k, NamedContext{Path: inp.URL})
			case strings.HasPrefix(v, "cwd://"), strings.HasPrefix(v, "target:"), strings.HasPrefix(v, "docker-image:"), urlutil.IsRemoteURL(v):
			default:
				st := llb.Scratch().File(llb.Copy(*inp.State, v, "/", &llb.CopyInfo{CopyDirContentsOnly: true}),
					llb.WithCustomNamef("set context %s to %s", k, v))
				rc.setNamed(k, NamedContext{State: &st, Path: remoteURLWithSubdir(inp.URL, v)})
			}
		}
		switch {
		case contextPath == ".":
			contextPath = inp.URL
		case strings.HasPrefix(contextPath, "cwd://"), urlutil.IsRemoteURL(contextPath):
		default:
			st := llb.Scratch().File(llb.Copy(*inp.State, contextPath, "/", &llb.CopyInfo{CopyDirContentsOnly: true}),
				llb.WithCustomNamef("set context to %s", contextPath))
			rc.context = &st
			contextPath = remoteURLWithSubdir(inp.URL, contextPath)
		}
		if rc.context != nil || rc.named != nil {
			t.remote = rc
		}
	}
	dockerfile := "Dockerfile"
	if t.Dockerfile != nil {
		dockerfile = *t.Dockerfile
	}
	if !strings.HasPrefix(dockerfile, "cwd://") && !urlutil.IsRemoteURL(dockerfile) &&
		strings.HasPrefix(contextPath, "cwd://") && urlutil.IsRemoteURL(inp.URL) {
		// buildx: the Dockerfile would be read from the remote source with
		// a local context, so a local one of that name is refused rather
		// than silently not used.
		local := filepath.Join(path.Clean(strings.TrimPrefix(contextPath, "cwd://")), path.Clean(dockerfile))
		if _, err := os.Stat(local); err == nil {
			return "", errors.New("reading a dockerfile for a remote build invocation is currently not supported")
		}
	}
	return contextPath, nil
}

func (rc *remoteContexts) setNamed(k string, nc NamedContext) {
	if rc.named == nil {
		rc.named = map[string]NamedContext{}
	}
	rc.named[k] = nc
}

// remoteURLWithSubdir is buildx's: the Git URL with subdir appended to
// the subdirectory its fragment (or ?subdir= query) names.
func remoteURLWithSubdir(remoteURL, subdir string) string {
	subdir = path.Clean(subdir)
	if subdir == "." || remoteURL == "" {
		return remoteURL
	}
	parsed, ok, err := dfgitutil.ParseGitRef(remoteURL)
	if err != nil || !ok {
		return remoteURL
	}
	if parsed.SubDir != "" {
		subdir = path.Clean(path.Join(parsed.SubDir, subdir))
	}
	if !strings.Contains(remoteURL, "#") && subdir != "" {
		if u, err := url.Parse(remoteURL); err == nil {
			q := u.Query()
			if q.Has("subdir") {
				q.Set("subdir", subdir)
				u.RawQuery = q.Encode()
				return u.String()
			}
		}
	}
	base, frag, _ := strings.Cut(remoteURL, "#")
	ref, _, _ := strings.Cut(frag, ":")
	if ref == "" {
		return base + "#:" + subdir
	}
	return fmt.Sprintf("%s#%s:%s", base, ref, subdir)
}
