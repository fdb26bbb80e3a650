package skip

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/distribution/reference"
	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/moby/buildkit/util/gitutil"
	"golang.org/x/sync/singleflight"
)

// Resolver finds what remote references point at now: an image tag's
// manifest digest (containerd's Docker resolver, credentials from the
// Docker config file as buildx reads them), a Git ref's commit (`git
// ls-remote`). Each reference is resolved once per Resolver (one run),
// concurrent callers of the same reference share the request. Safe for
// concurrent use.
type Resolver struct {
	resolver remotes.Resolver
	git      string // the git binary

	mu    sync.Mutex
	cache map[string]result
	group singleflight.Group
}

type result struct {
	digest string
	err    error
}

// resolveTimeout bounds one resolution: an unreachable registry makes the
// target unverifiable (it is built), it must not hold the run.
const resolveTimeout = 20 * time.Second

// NewResolver reads the Docker config file ($DOCKER_CONFIG,
// ~/.docker/config.json) for credentials. Registries on a loopback
// address are spoken to in plain HTTP, as containerd and BuildKit do.
func NewResolver() *Resolver {
	cfg := config.LoadDefaultConfigFile(io.Discard)
	auth := docker.NewDockerAuthorizer(docker.WithAuthCreds(credsFrom(cfg)))
	hosts := docker.ConfigureDefaultRegistries(
		docker.WithAuthorizer(auth),
		docker.WithPlainHTTP(docker.MatchLocalhost),
		docker.WithClient(&http.Client{Transport: docker.DefaultHTTPTransport(nil)}),
	)
	return &Resolver{
		resolver: docker.NewResolver(docker.ResolverOptions{Hosts: hosts}),
		git:      "git",
		cache:    map[string]result{},
	}
}

func credsFrom(cfg *configfile.ConfigFile) func(string) (string, string, error) {
	return func(host string) (string, string, error) {
		if host == "registry-1.docker.io" {
			host = "https://index.docker.io/v1/"
		}
		ac, err := cfg.GetAuthConfig(host)
		if err != nil {
			return "", "", err
		}
		if ac.IdentityToken != "" {
			return "", ac.IdentityToken, nil
		}
		return ac.Username, ac.Password, nil
	}
}

// Image returns the digest the image reference points at now: the
// manifest (or index) digest a pull would start from. A reference with a
// digest is its own answer.
func (r *Resolver) Image(ctx context.Context, ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", fmt.Errorf("image %q: %w", ref, err)
	}
	if d, ok := named.(reference.Digested); ok {
		return d.Digest().String(), nil
	}
	full := reference.TagNameOnly(named).String()
	return r.once(ctx, "image:"+full, func(ctx context.Context) (string, error) {
		_, desc, err := r.resolver.Resolve(ctx, full)
		if err != nil {
			return "", fmt.Errorf("resolving %s: %w", ref, err)
		}
		return desc.Digest.String(), nil
	})
}

// Git returns the commit a Git context (URL#ref:subdir) points at now.
func (r *Resolver) Git(ctx context.Context, remote string) (string, error) {
	u, err := gitutil.ParseURL(remote)
	if err != nil {
		return "", fmt.Errorf("git context %q: %w", remote, err)
	}
	ref := "HEAD"
	if u.Opts != nil && u.Opts.Ref != "" {
		ref = u.Opts.Ref
	}
	if gitutil.IsCommitSHA(ref) {
		return ref, nil
	}
	return r.once(ctx, "git:"+u.Remote+"#"+ref, func(ctx context.Context) (string, error) {
		out, err := exec.CommandContext(ctx, r.git, "ls-remote", "--", u.Remote, ref).Output()
		if err != nil {
			return "", fmt.Errorf("git ls-remote %s %s: %w", u.Remote, ref, err)
		}
		// prefer an exact ref name, then a tag's peeled commit, then the first line
		var first, peeled string
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			sha, name, ok := strings.Cut(line, "\t")
			if !ok {
				continue
			}
			if first == "" {
				first = sha
			}
			if strings.HasSuffix(name, "^{}") {
				peeled = sha
			}
		}
		switch {
		case peeled != "":
			return peeled, nil
		case first != "":
			return first, nil
		}
		return "", fmt.Errorf("git ls-remote %s: no ref %s", u.Remote, ref)
	})
}

// once runs f for key the first time and remembers its answer.
func (r *Resolver) once(ctx context.Context, key string, f func(context.Context) (string, error)) (string, error) {
	r.mu.Lock()
	if res, ok := r.cache[key]; ok {
		r.mu.Unlock()
		return res.digest, res.err
	}
	r.mu.Unlock()
	v, err, _ := r.group.Do(key, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), resolveTimeout)
		defer cancel()
		d, err := f(ctx)
		r.mu.Lock()
		r.cache[key] = result{d, err}
		r.mu.Unlock()
		return d, err
	})
	s, _ := v.(string)
	return s, err
}

// IsGit reports whether a remote context is a Git repository (as
// BuildKit's dockerui decides: a git transport, or an http(s) URL whose
// path ends in .git).
func IsGit(ref string) bool {
	if gitutil.IsGitTransport(ref) {
		return true
	}
	u, err := gitutil.ParseURL(ref)
	if err != nil {
		return false
	}
	return strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), ".git")
}

// fresh resolves an image reference without the per-run memory: an
// output kiln pushed is checked against the registry as it is now.
func (r *Resolver) fresh(ctx context.Context, ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	_, desc, err := r.resolver.Resolve(ctx, reference.TagNameOnly(named).String())
	if err != nil {
		return "", err
	}
	return desc.Digest.String(), nil
}
