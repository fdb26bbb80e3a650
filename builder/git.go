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
	for _, r := range reqs {
		dir := r.Locals["context"]
		if dir == "" {
			continue
		}
		root, err := git(ctx, dir, "rev-parse", "--show-toplevel")
		if err != nil || root == "" {
			continue
		}
		root = realpath(root)
		set := func(infoKey, label, v string) {
			if info && infoKey != "" {
				r.Attrs[infoKey] = v
			}
			if labels && label != "" {
				r.Attrs["label:"+label] = v
			}
		}
		if sha, err := git(ctx, dir, "rev-parse", "--verify", "HEAD"); err == nil && sha != "" {
			if dirty {
				if st, err := git(ctx, dir, "status", "--porcelain", "--ignored"); err == nil && st != "" {
					sha += "-dirty"
				}
			}
			set("vcs:revision", "org.opencontainers.image.revision", sha)
		}
		if url := remoteURL(ctx, dir); url != "" {
			set("vcs:source", "org.opencontainers.image.source", url)
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
