package inputs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// List returns the absolute paths of the files the build can read that
// exist now, sorted and without duplicates: every file and symlink of the
// trees not excluded, then the single files. Directories are not listed
// (an empty directory changes nothing BuildKit's cache keys see apart from
// its mode, which the fingerprint leaves out).
func (in *Inputs) List() ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, t := range in.Trees {
		if err := t.walk(add); err != nil {
			return nil, err
		}
	}
	for _, f := range in.Files {
		if _, err := os.Lstat(f); err == nil {
			add(f)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// walk calls add for each file under the tree that is not excluded. An
// excluded directory is not entered unless a "!" pattern could bring
// something inside it back.
func (t *Tree) walk(add func(string)) error {
	exceptions := t.matcher.Exclusions()
	return filepath.WalkDir(t.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == t.Dir {
			return nil
		}
		rel, err := filepath.Rel(t.Dir, p)
		if err != nil {
			return err
		}
		if t.excluded(filepath.ToSlash(rel)) {
			if d.IsDir() && !exceptions {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			add(p)
		}
		return nil
	})
}
