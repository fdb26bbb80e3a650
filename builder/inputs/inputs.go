// Package inputs computes what a target reads: the local files a solve can
// read (the build context after its dockerignore rules, the Dockerfile, the
// ignore file in effect, local named contexts with their own ignore rules),
// the remote references it names, and the targets it uses through `target:`
// contexts. It works from a translated solve (request.Request's Attrs and
// Locals), so the paths are the ones request.Translate decided, and applies
// the rules BuildKit's Dockerfile frontend (dockerui) applies when it reads
// them. The skip check and `--affected-since` both start from it.
//
// It does not import builder, so builder may import it.
package inputs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// dockerignoreName is the ignore file BuildKit reads from a context's root.
const dockerignoreName = ".dockerignore"

// Solve is the part of a translated solve that decides what it reads:
// request.Request's Attrs (filename, context:NAME) and Locals (mount name
// to directory; "dockerfile" is "" for dockerfile-inline).
type Solve struct {
	Attrs  map[string]string
	Locals map[string]string
}

// Inputs is what one target reads.
type Inputs struct {
	// Trees are the local directories sent to BuildKit: the build context
	// first, then the local named contexts by name.
	Trees []*Tree
	// Files are single files the frontend reads outside the trees'
	// listing: the Dockerfile, and the ignore files that decide (or would
	// decide, were they created) the main context's exclusions.
	Files []string
	// Remote are the references read from elsewhere, by named context
	// ("context" for a remote build context).
	Remote []Remote
	// Deps maps a named context to the target whose result it is.
	Deps map[string]string
}

// Remote is a context BuildKit fetches itself (Git, HTTP, docker-image://,
// oci-layout://).
type Remote struct {
	Name string
	Ref  string
}

// Tree is a local directory with the exclusions that apply to it.
type Tree struct {
	// Name is "context" or the named context's name.
	Name string
	// Dir is the absolute directory.
	Dir string
	// IgnoreFile is the file the exclusions come from ("" when none).
	IgnoreFile string
	// Excludes are the patterns as ignorefile.ReadAll returns them.
	Excludes []string

	matcher *patternmatcher.PatternMatcher
}

// Of computes what the solve s reads. It reads the ignore files; a
// malformed one is an error naming it.
func Of(s Solve) (*Inputs, error) {
	in := &Inputs{}
	filename := s.Attrs["filename"]
	if filename == "" {
		filename = "Dockerfile"
	}
	dfDir, hasDockerfile := s.Locals["dockerfile"]
	var specificIgnore string
	if hasDockerfile && dfDir != "" {
		df := filepath.Join(dfDir, filepath.FromSlash(filename))
		in.Files = append(in.Files, df)
		// dockerui reads <filename>.dockerignore beside the Dockerfile
		// first; it wins over the context's .dockerignore
		specificIgnore = df + dockerignoreName
		in.Files = append(in.Files, specificIgnore)
	}
	if dir, ok := s.Locals["context"]; ok {
		ignore := ""
		if specificIgnore != "" && exists(specificIgnore) {
			ignore = specificIgnore
		} else {
			ignore = filepath.Join(dir, dockerignoreName)
			in.Files = append(in.Files, ignore)
		}
		t, err := newTree("context", dir, ignore)
		if err != nil {
			return nil, err
		}
		in.Trees = append(in.Trees, t)
	} else if ref := s.Attrs["context"]; ref != "" {
		in.Remote = append(in.Remote, Remote{Name: "context", Ref: ref})
	}
	names := make([]string, 0)
	for k := range s.Attrs {
		if strings.HasPrefix(k, "context:") {
			names = append(names, strings.TrimPrefix(k, "context:"))
		}
	}
	sort.Strings(names)
	for _, name := range names {
		v := s.Attrs["context:"+name]
		switch {
		case strings.HasPrefix(v, "target:"):
			if in.Deps == nil {
				in.Deps = map[string]string{}
			}
			in.Deps[name] = strings.TrimPrefix(v, "target:")
		case strings.HasPrefix(v, "local:"):
			dir, ok := s.Locals[strings.TrimPrefix(v, "local:")]
			if !ok {
				return nil, fmt.Errorf("context %q: no local directory %q", name, v)
			}
			// a named context reads only its own root's .dockerignore
			t, err := newTree(name, dir, filepath.Join(dir, dockerignoreName))
			if err != nil {
				return nil, err
			}
			in.Trees = append(in.Trees, t)
		default:
			in.Remote = append(in.Remote, Remote{Name: name, Ref: v})
		}
	}
	return in, nil
}

// newTree reads ignore (a missing file means no exclusions).
func newTree(name, dir, ignore string) (*Tree, error) {
	t := &Tree{Name: name, Dir: filepath.Clean(dir)}
	dt, err := os.ReadFile(ignore)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("context %q: %w", name, err)
	default:
		t.IgnoreFile = ignore
		if t.Excludes, err = ignorefile.ReadAll(bytes.NewReader(dt)); err != nil {
			return nil, fmt.Errorf("failed parsing %s: %w", ignore, err)
		}
	}
	if t.matcher, err = patternmatcher.New(t.Excludes); err != nil {
		return nil, fmt.Errorf("%s: %w", ignore, err)
	}
	return t, nil
}

// Contains reports whether the build can read the file at the absolute
// path p (which need not exist: a deleted input is a change too).
func (in *Inputs) Contains(p string) bool {
	p = filepath.Clean(p)
	for _, f := range in.Files {
		if f == p {
			return true
		}
	}
	for _, t := range in.Trees {
		if t.Contains(p) {
			return true
		}
	}
	return false
}

// Contains reports whether p is inside the tree and not excluded.
func (t *Tree) Contains(p string) bool {
	rel, err := filepath.Rel(t.Dir, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return false
	}
	if rel == "." {
		return true
	}
	return !t.excluded(filepath.ToSlash(rel))
}

// excluded applies the patterns to rel and its parents, as BuildKit's
// file sender does when walking.
func (t *Tree) excluded(rel string) bool {
	if len(t.Excludes) == 0 {
		return false
	}
	m, err := t.matcher.MatchesOrParentMatches(rel)
	return err == nil && m
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
