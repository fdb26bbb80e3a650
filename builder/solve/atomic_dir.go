package solve

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/kiln-build/kiln/builder/request"
)

// dirOutput is a directory output (local, or an oci/docker layout with
// tar=false). BuildKit merges into an existing directory: files it sends
// replace those of the same name, the others stay (mode=delete mirrors
// instead). To keep that result and still never show a half-written tree,
// the temporary starts as a copy of dest (hard links for files, which
// BuildKit's writer replaces by rename rather than rewriting), receives the
// export, and is exchanged with dest in one rename.
type dirOutput struct {
	dest    string // resolved
	tmp     string // what the exporter writes into; dest when in place
	inPlace bool
	mu      sync.Mutex
	done    bool
}

// newDirOutput prepares the temporary. store says the directory is an OCI
// layout: there BuildKit rewrites index.json in place, so only blobs (named
// by their digest, never rewritten) are linked and the rest is copied.
// mirror (mode=delete) starts from an empty tree. A dest that holds one of
// the paths in keep (the working directory, the build's own inputs, as with
// dest=.) is written in place, as BuildKit does: swapping it would move the
// tree out from under the user's shell and the build reading it.
func newDirOutput(dest string, store, mirror bool, keep []string) (*dirOutput, error) {
	dest = request.ResolveDest(dest)
	fi, err := os.Stat(dest)
	switch {
	case err == nil && !fi.IsDir():
		return nil, fmt.Errorf("destination directory %s is a file", dest)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("invalid destination directory: %w", err)
	}
	exists := err == nil
	if exists && (isMountPoint(dest) || holdsAny(dest, keep)) {
		// A mount point cannot be renamed: write in place, as BuildKit does.
		return &dirOutput{dest: dest, tmp: dest, inPlace: true}, nil
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return nil, err
	}
	removeLeftovers(dest)
	tmp, err := os.MkdirTemp(filepath.Dir(dest), tmpPattern(dest))
	if err != nil {
		return nil, err
	}
	o := &dirOutput{dest: dest, tmp: tmp}
	if exists {
		if mirror {
			err = copyMeta(fi, tmp)
		} else {
			err = cloneTree(dest, tmp, store)
		}
		if err != nil {
			removeAll(tmp)
			return nil, fmt.Errorf("output %s: copying the previous output: %w", dest, err)
		}
	}
	return o, nil
}

func (o *dirOutput) commit() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done || o.inPlace {
		o.done = true
		return nil
	}
	o.done = true
	if _, err := os.Lstat(o.dest); errors.Is(err, fs.ErrNotExist) {
		if err := renameNoReplace(o.tmp, o.dest); err != nil {
			removeAll(o.tmp)
			return fmt.Errorf("output %s: %w", o.dest, err)
		}
		return nil
	}
	if err := exchange(o.tmp, o.dest); err != nil {
		removeAll(o.tmp)
		return fmt.Errorf("output %s: %w", o.dest, err)
	}
	return removeAll(o.tmp) // now the previous output
}

func (o *dirOutput) abort() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done || o.inPlace {
		o.done = true
		return nil
	}
	o.done = true
	return removeAll(o.tmp)
}

// exchange swaps the directories a and b: atomically where the kernel and
// file system can (renameat2 RENAME_EXCHANGE), else with a moment in which
// b is absent (b set aside under a temporary name, a renamed in, the old b
// moved to a's name).
func exchange(a, b string) error {
	err := renameExchange(a, b)
	if err == nil || !errors.Is(err, errNoExchange) {
		return err
	}
	return swapAside(a, b)
}

// swapAside is exchange without kernel help.
func swapAside(a, b string) error {
	aside := a + ".old"
	if err := os.Rename(b, aside); err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		os.Rename(aside, b)
		return err
	}
	return os.Rename(aside, a)
}

// holdsAny says whether dir is, or is an ancestor of, one of paths.
func holdsAny(dir string, paths []string) bool {
	for _, p := range paths {
		if p = request.ResolveDest(p); p == dir || request.Within(p, dir) {
			return true
		}
	}
	return false
}

func isMountPoint(dir string) bool {
	var st, parent syscall.Stat_t
	if syscall.Stat(dir, &st) != nil || syscall.Stat(filepath.Dir(dir), &parent) != nil {
		return false
	}
	return st.Dev != parent.Dev
}

// cloneTree copies src into the existing directory dst: directories are
// made, files hard-linked (copied where a link is refused, and, in an OCI
// layout, everywhere outside blobs/).
func cloneTree(src, dst string, store bool) error {
	type dirMeta struct {
		path string
		fi   fs.FileInfo
	}
	var dirs []dirMeta
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel != "." {
				if err := os.Mkdir(target, 0o700); err != nil {
					return err
				}
			}
			dirs = append(dirs, dirMeta{target, fi})
			return nil
		}
		link := !store || rel == "blobs" || filepath.HasPrefix(rel, "blobs"+string(filepath.Separator))
		if link && os.Link(p, target) == nil {
			return nil
		}
		return copyEntry(p, target, fi)
	})
	if err != nil {
		return err
	}
	// Children first, so that setting a directory's times is the last change.
	for _, d := range slices.Backward(dirs) {
		if err := copyMeta(d.fi, d.path); err != nil {
			return err
		}
	}
	return nil
}

// copyEntry copies one non-directory: a regular file's content, or a
// symlink.
func copyEntry(src, dst string, fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		l, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(l, dst)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s: cannot copy %s", src, fi.Mode().Type())
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return copyMeta(fi, dst)
}

// copyMeta gives dst the mode, owner (where allowed) and times of fi.
func copyMeta(fi fs.FileInfo, dst string) error {
	if err := os.Chmod(dst, fi.Mode().Perm()|fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		os.Lchown(dst, int(st.Uid), int(st.Gid))
		atime := time.Unix(st.Atim.Sec, st.Atim.Nsec)
		return os.Chtimes(dst, atime, fi.ModTime())
	}
	return nil
}
