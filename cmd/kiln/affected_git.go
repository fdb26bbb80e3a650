package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/kiln-build/kiln/bake"
)

// gitRepo is the Git working tree kiln runs in, and the revision
// --affected-since compares it with. It runs the git CLI, so the user's
// Git configuration (ignore files, safe.directory) applies as it does to
// their own git commands.
type gitRepo struct {
	wd  string // the working directory, as the bake paths are resolved from
	top string // the top level, spelled from wd (not symlink-resolved)
	rev string // as the user wrote it
	id  string // the commit it names
}

func openGitRepo(ctx context.Context, rev string) (*gitRepo, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	r := &gitRepo{wd: wd, rev: rev}
	cdup, err := r.git(ctx, "rev-parse", "--show-cdup")
	if err != nil {
		return nil, fmt.Errorf("--affected-since %s: %s is not in a Git working tree: %w", rev, wd, err)
	}
	r.top = filepath.Join(wd, strings.TrimSpace(string(cdup)))
	id, err := r.git(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("--affected-since %s: unknown revision %q in %s", rev, rev, r.top)
	}
	r.id = strings.TrimSpace(string(id))
	return r, nil
}

// changedFiles are the absolute paths of the files that differ between the
// revision and the working tree: committed, staged and unstaged changes
// (both sides of a rename), and untracked files not ignored.
func (r *gitRepo) changedFiles(ctx context.Context) ([]string, error) {
	diff, err := r.git(ctx, "-C", r.top, "diff", "--name-only", "--no-renames", "-z", r.id, "--")
	if err != nil {
		return nil, fmt.Errorf("--affected-since %s: %w", r.rev, err)
	}
	untracked, err := r.git(ctx, "-C", r.top, "ls-files", "--others", "--exclude-standard", "-z")
	if err != nil {
		return nil, fmt.Errorf("--affected-since %s: %w", r.rev, err)
	}
	var out []string
	for _, list := range [][]byte{diff, untracked} {
		for _, p := range strings.Split(string(list), "\x00") {
			if p != "" {
				out = append(out, filepath.Join(r.top, filepath.FromSlash(p)))
			}
		}
	}
	return out, nil
}

// readBakeFiles reads the bake files as they are at the revision, as
// bake.ReadLocalFiles reads them from disk: default names that do not
// exist there are skipped, empty files too. A file outside the working
// tree has no revision and is read from disk.
func (r *gitRepo) readBakeFiles(names []string, _ io.Reader) ([]bake.File, error) {
	isDefault := len(names) == 0
	if isDefault {
		names = bake.DefaultFileNames()
	}
	var out []bake.File
	for _, n := range names {
		n = strings.TrimPrefix(n, "cwd://")
		if n == "-" {
			return nil, errors.New("a bake file read from stdin has no version at " + r.rev)
		}
		rel, ok := r.inTree(n)
		var dt []byte
		var err error
		if ok {
			dt, err = r.git(context.Background(), "-C", r.top, "show", r.id+":"+rel)
			if err != nil {
				err = fmt.Errorf("%s: %w", n, os.ErrNotExist)
			}
		} else {
			dt, err = os.ReadFile(n)
		}
		if err != nil {
			if isDefault && errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("%s at %s: %w", n, r.rev, err)
		}
		if len(dt) > 0 {
			out = append(out, bake.File{Name: n, Data: dt})
		}
	}
	return out, nil
}

// inTree gives p's path from the top level, slash-separated.
func (r *gitRepo) inTree(p string) (string, bool) {
	if !filepath.IsAbs(p) {
		p = filepath.Join(r.wd, p)
	}
	rel, err := filepath.Rel(r.top, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// rel names p as git does, from the top level.
func (r *gitRepo) rel(p string) string {
	if rel, ok := r.inTree(p); ok {
		return rel
	}
	return p
}

func (r *gitRepo) git(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = r.wd
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if args[0] == "-C" {
			args = args[2:]
		}
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, fmt.Errorf("git %s: %s", args[0], firstLine(msg))
		}
		return nil, fmt.Errorf("git %s: %w", args[0], err)
	}
	return out, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
