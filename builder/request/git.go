package request

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// GitInfo is what buildx records about the Git checkout a target is built
// from (build/git.go), as a translation input: vcs:revision, vcs:source
// and vcs:localdir:NAME attributes, which BuildKit puts in the provenance,
// and with BUILDX_GIT_LABELS the org.opencontainers.image.revision/source
// and com.docker.image.source.entrypoint labels. BUILDX_GIT_INFO=false
// turns the attributes off; BUILDX_GIT_CHECK_DIRTY marks a dirty tree.
// git is asked once per context directory, however many targets share it.
type GitInfo struct {
	ctx                 context.Context
	labels, info, dirty bool
	mu                  sync.Mutex
	checkouts           map[string]*checkout // by context dir
}

// NewGitInfo reads the BUILDX_GIT_* settings through lookupEnv; ctx bounds
// the git processes it starts later.
func NewGitInfo(ctx context.Context, lookupEnv func(string) (string, bool)) *GitInfo {
	g := &GitInfo{ctx: ctx, info: true, checkouts: map[string]*checkout{}}
	if v, ok := lookupEnv("BUILDX_GIT_LABELS"); ok {
		b, err := strconv.ParseBool(v)
		g.labels = v == "full" || err == nil && b
	}
	if v, ok := lookupEnv("BUILDX_GIT_INFO"); ok {
		if b, err := strconv.ParseBool(v); err == nil {
			g.info = b
		}
	}
	if v, ok := lookupEnv("BUILDX_GIT_CHECK_DIRTY"); ok {
		g.dirty, _ = strconv.ParseBool(v)
	}
	return g
}

// checkout is the checkout holding dir, read on first use.
func (g *GitInfo) checkout(dir string) *checkout {
	g.mu.Lock()
	defer g.mu.Unlock()
	co, ok := g.checkouts[dir]
	if !ok {
		co = readCheckout(g.ctx, dir, g.dirty)
		g.checkouts[dir] = co
	}
	return co
}

// translateGit adds the Git attributes and labels of o.Git (none when nil).
func translateGit(r *Request, _ *Target, o Options) error {
	g := o.Git
	if g == nil || !g.labels && !g.info {
		return nil
	}
	dir := r.Locals["context"]
	if dir == "" {
		return nil
	}
	co := g.checkout(dir)
	if co == nil {
		return nil
	}
	root := co.root
	set := func(infoKey, label, v string) {
		if g.info && infoKey != "" {
			r.Attrs[infoKey] = v
		}
		if g.labels && label != "" {
			r.Attrs["label:"+label] = v
		}
	}
	if co.revision != "" {
		set("vcs:revision", "org.opencontainers.image.revision", co.revision)
	}
	if co.source != "" {
		set("vcs:source", "org.opencontainers.image.source", co.source)
	}
	if g.labels && r.DockerfileSource != "" && r.DockerfileSource != "inline" {
		df := filepath.Join(realpath(r.Locals["dockerfile"]), filepath.Base(r.DockerfileSource))
		if rel, err := filepath.Rel(root, df); err == nil && !strings.HasPrefix(rel, "..") {
			r.Attrs["label:com.docker.image.source.entrypoint"] = rel
		}
	}
	if !g.info {
		return nil
	}
	for name, d := range r.Locals {
		if d == "" {
			continue
		}
		if rel, err := filepath.Rel(root, realpath(d)); err == nil && !strings.HasPrefix(rel, "..") {
			r.Attrs["vcs:localdir:"+name] = rel
		}
	}
	return nil
}

// checkout is what GitInfo records of the Git checkout holding a context.
type checkout struct {
	root     string // its top level, symlinks resolved
	revision string // HEAD, with -dirty when asked and the tree is
	source   string // the remote URL
}

// readCheckout asks git about the checkout holding dir (3 to 5 processes);
// nil when dir is in none.
func readCheckout(ctx context.Context, dir string, checkDirty bool) *checkout {
	root, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil || root == "" {
		return nil
	}
	co := &checkout{root: realpath(root), source: remoteURL(ctx, dir)}
	if sha, err := git(ctx, dir, "rev-parse", "--verify", "HEAD"); err == nil && sha != "" {
		if checkDirty {
			if st, err := git(ctx, dir, "status", "--porcelain", "--ignored"); err == nil && st != "" {
				sha += "-dirty"
			}
		}
		co.revision = sha
	}
	return co
}

// remoteURL is the checkout's origin, else its first remote (as buildx).
func remoteURL(ctx context.Context, dir string) string {
	if u, err := git(ctx, dir, "remote", "get-url", "origin"); err == nil && u != "" {
		return u
	}
	remotes, err := git(ctx, dir, "remote")
	if err != nil || remotes == "" {
		return ""
	}
	u, _ := git(ctx, dir, "remote", "get-url", strings.Fields(remotes)[0])
	return u
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "safe.directory=*", "-C", dir}, args...)...)
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

func realpath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}
