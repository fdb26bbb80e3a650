package request

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// outputPath is one file or directory output of a target, with its
// destination as the file system names it (symlinks resolved).
type outputPath struct {
	target string
	path   string
	dir    bool
}

// CheckOutputs rejects, before anything is built, outputs that would
// overwrite one another (the same destination, a destination inside
// another target's output directory, more than one stream to standard
// output) and destinations kiln could not write, so that a mistake costs
// no build. metadataFile, if set, is checked as a destination too.
func CheckOutputs(reqs []*Request, metadataFile string) error {
	var paths []outputPath
	stdout := ""
	for _, r := range reqs {
		for _, e := range r.Exports {
			switch {
			case e.File == "-":
				if stdout != "" {
					return fmt.Errorf("targets %q and %q: multiple outputs configured to write to stdout", stdout, r.Target)
				}
				stdout = r.Target
			case e.File != "":
				paths = append(paths, outputPath{r.Target, ResolveDest(e.File), false})
			case e.Dir != "":
				paths = append(paths, outputPath{r.Target, ResolveDest(e.Dir), true})
			}
		}
	}
	for i, a := range paths {
		for _, b := range paths[i+1:] {
			if err := collision(a, b); err != nil {
				return err
			}
		}
	}
	for _, p := range paths {
		if err := checkDest("output", p.path, p.dir); err != nil {
			return fmt.Errorf("target %q: %w", p.target, err)
		}
	}
	if metadataFile != "" {
		if err := checkDest("--metadata-file", ResolveDest(metadataFile), false); err != nil {
			return err
		}
	}
	return nil
}

func collision(a, b outputPath) error {
	who := fmt.Sprintf("targets %q and %q", a.target, b.target)
	if a.target == b.target {
		who = fmt.Sprintf("target %q", a.target)
	}
	switch {
	case a.path == b.path:
		return fmt.Errorf("%s: two outputs write to %s", who, a.path)
	case a.dir && Within(b.path, a.path):
		return fmt.Errorf("%s: output %s is inside output directory %s", who, b.path, a.path)
	case b.dir && Within(a.path, b.path):
		return fmt.Errorf("%s: output %s is inside output directory %s", who, a.path, b.path)
	}
	return nil
}

// Within reports whether p is inside dir (not dir itself).
func Within(p, dir string) bool {
	return strings.HasPrefix(p, strings.TrimSuffix(dir, string(filepath.Separator))+string(filepath.Separator))
}

// checkDest says why dest cannot be written: a file where a directory is
// wanted or the other way round, or a parent (the nearest one that exists,
// as the missing ones will be made) that is not a writable directory.
func checkDest(what, dest string, dir bool) error {
	if fi, err := os.Stat(dest); err == nil {
		switch {
		case dir && !fi.IsDir():
			return fmt.Errorf("%s: destination directory %s is a file", what, dest)
		case !dir && fi.IsDir():
			return fmt.Errorf("%s: destination file %s is a directory", what, dest)
		}
	}
	parent := filepath.Dir(dest)
	for {
		fi, err := os.Stat(parent)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s %s: %s is not a directory", what, dest, parent)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || filepath.Dir(parent) == parent {
			return fmt.Errorf("%s %s: %w", what, dest, err)
		}
		parent = filepath.Dir(parent)
	}
	if err := unix.Access(parent, unix.W_OK|unix.X_OK); err != nil {
		return fmt.Errorf("%s %s: directory %s is not writable: %w", what, dest, parent, err)
	}
	return nil
}

// ResolveDest follows symlinks in dest where they exist, so that the
// temporary sits beside the file or directory a symlink points at and a
// symlinked destination stays a symlink, as when BuildKit writes in place.
func ResolveDest(dest string) string {
	rest := ""
	for p := filepath.Clean(dest); ; p = filepath.Dir(p) {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(r, rest)
		}
		if filepath.Dir(p) == p {
			return dest
		}
		rest = filepath.Join(filepath.Base(p), rest)
	}
}
