package builder

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// AddGitInfo adds what buildx records about the Git checkout a target is
// built from (build/git.go): vcs:revision, vcs:source and
// vcs:localdir:NAME attributes, which BuildKit puts in the provenance, and
// with BUILDX_GIT_LABELS the org.opencontainers.image.revision/source and
// com.docker.image.source.entrypoint labels. BUILDX_GIT_INFO=false turns
// the attributes off; BUILDX_GIT_CHECK_DIRTY marks a dirty tree.
func AddGitInfo(ctx context.Context, reqs []*Request, lookupEnv func(string) (string, bool)) {
	labels, info := false, true
	if v, ok := lookupEnv("BUILDX_GIT_LABELS"); ok {
		b, err := strconv.ParseBool(v)
		labels = v == "full" || err == nil && b
	}
	if v, ok := lookupEnv("BUILDX_GIT_INFO"); ok {
		if b, err := strconv.ParseBool(v); err == nil {
			info = b
		}
	}
	dirty := false
	if v, ok := lookupEnv("BUILDX_GIT_CHECK_DIRTY"); ok {
		dirty, _ = strconv.ParseBool(v)
	}
	if !labels && !info {
		return
	}
	checkouts := map[string]*checkout{} // by context dir: targets often share one
	for _, r := range reqs {
		dir := r.Locals["context"]
		if dir == "" {
			continue
		}
		co, ok := checkouts[dir]
		if !ok {
			co = readCheckout(ctx, dir, dirty)
			checkouts[dir] = co
		}
		if co == nil {
			continue
		}
		root := co.root
		set := func(infoKey, label, v string) {
			if info && infoKey != "" {
				r.Attrs[infoKey] = v
			}
			if labels && label != "" {
				r.Attrs["label:"+label] = v
			}
		}
		if co.revision != "" {
			set("vcs:revision", "org.opencontainers.image.revision", co.revision)
		}
		if co.source != "" {
			set("vcs:source", "org.opencontainers.image.source", co.source)
		}
		if labels && r.DockerfileSource != "" && r.DockerfileSource != "inline" {
			df := filepath.Join(realpath(r.Locals["dockerfile"]), filepath.Base(r.DockerfileSource))
			if rel, err := filepath.Rel(root, df); err == nil && !strings.HasPrefix(rel, "..") {
				r.Attrs["label:com.docker.image.source.entrypoint"] = rel
			}
		}
		if !info {
			continue
		}
		for name, d := range r.Locals {
			if d == "" {
				continue
			}
			if rel, err := filepath.Rel(root, realpath(d)); err == nil && !strings.HasPrefix(rel, "..") {
				r.Attrs["vcs:localdir:"+name] = rel
			}
		}
	}
}

// checkout is what AddGitInfo records of the Git checkout holding a context.
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
