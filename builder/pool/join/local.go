package join

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/exporter/local"
	"golang.org/x/sys/unix"
)

// LocalOptions are the local exporter's options that change a join.
type LocalOptions struct {
	// NoSplit is platform-split=false: every platform's files go into dir
	// itself, and a path two platforms both have is an error, as in
	// BuildKit.
	NoSplit bool
	// Epoch is the export's SOURCE_DATE_EPOCH, the time BuildKit gives the
	// platform directories; without one BuildKit gives them time 0 (the
	// Unix epoch), and so does nil.
	Epoch *time.Time
}

// Local writes the parts' local outputs (each Part.Local, the directory
// a node's local exporter wrote for one platform) into dir as BuildKit's
// local exporter writes a multi-platform build: one subdirectory per
// platform (linux_amd64/, linux_arm64/, linux_arm_v7/), or, with NoSplit,
// all in dir. Files keep their mode, owner, times and symlinks; files dir
// already has are replaced, others left (the exporter's default copy
// mode; for mode=delete join into an empty directory). Every part is
// checked before the first file is written, but the writing itself is in
// place: for a result that never shows half-written, join into the
// temporary of builder's directory outputs and exchange it with dest.
func Local(parts []Part, dir string, opt LocalOptions) error {
	if len(parts) == 0 {
		return fmt.Errorf("join: no parts")
	}
	subs := make([]string, len(parts))
	seen := map[string]Part{}
	owner := map[string]Part{} // NoSplit: relative path → the part writing it
	for i, p := range parts {
		pl, err := platforms.Parse(p.Platform)
		if err != nil {
			return fmt.Errorf("join: part %s: platform %q: %w", p, p.Platform, err)
		}
		id := platforms.FormatAll(platforms.Normalize(pl))
		if prev, dup := seen[id]; dup {
			return fmt.Errorf("join: parts %s and %s are both %s", prev, p, id)
		}
		seen[id] = p
		if p.Local == "" {
			return fmt.Errorf("join: part %s: no local output directory", p)
		}
		if fi, err := os.Stat(p.Local); err != nil {
			return fmt.Errorf("join: part %s: %w", p, err)
		} else if !fi.IsDir() {
			return fmt.Errorf("join: part %s: %s is not a directory", p, p.Local)
		}
		subs[i] = local.PlatformIDToPath(id)
		if !opt.NoSplit {
			continue
		}
		err = filepath.WalkDir(p.Local, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(p.Local, path)
			if prev, ok := owner[rel]; ok {
				// BuildKit's words (exporter/local), with platform IDs.
				return fmt.Errorf("cannot overwrite %s from %s with %s when split option is disabled", rel, prev.Platform, p.Platform)
			}
			owner[rel] = p
			return nil
		})
		if err != nil {
			return fmt.Errorf("join: %w", err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("join: %w", err)
	}
	for i, p := range parts {
		dst := dir
		if !opt.NoSplit {
			dst = filepath.Join(dir, subs[i])
		}
		prefix := ""
		if !opt.NoSplit {
			prefix = subs[i]
		}
		if err := copyTree(p.Local, dst, prefix); err != nil {
			return fmt.Errorf("join: part %s: %w", p, err)
		}
		if !opt.NoSplit {
			if err := os.Chmod(dst, 0o755); err != nil {
				return fmt.Errorf("join: %w", err)
			}
			tm := time.Unix(0, 0)
			if opt.Epoch != nil {
				tm = *opt.Epoch
			}
			if err := os.Chtimes(dst, tm, tm); err != nil {
				return fmt.Errorf("join: %w", err)
			}
		}
	}
	return nil
}

// copyTree copies the tree under src into dst, hard links as hard links.
// With a platform directory (sub), as BuildKit's platform split does
// (fsutil's SubDirFS), absolute symlink targets get "/sub" in front: a
// multi-platform local export has /linux_amd64/bin/busybox where the
// image has /bin/busybox. The root's own metadata is copied only into a
// platform directory.
func copyTree(src, dst, sub string) error {
	type dirTimes struct {
		path string
		fi   os.FileInfo
	}
	var dirs []dirTimes // set after their contents, which change them
	type inode struct{ dev, ino uint64 }
	links := map[inode]string{} // first copy of a file with several links
	err := filepath.Walk(src, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		switch {
		case fi.IsDir():
			if old, err := os.Lstat(to); err == nil && !old.IsDir() {
				if err := os.Remove(to); err != nil {
					return err
				}
			}
			if err := os.MkdirAll(to, 0o755); err != nil {
				return err
			}
			if rel != "." || sub != "" {
				dirs = append(dirs, dirTimes{to, fi})
			}
			return nil
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			if sub != "" && filepath.IsAbs(target) {
				target = filepath.Join("/"+sub, target)
			}
			if err := replace(to); err != nil {
				return err
			}
			if err := os.Symlink(target, to); err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			if err := replace(to); err != nil {
				return err
			}
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
				k := inode{uint64(st.Dev), st.Ino}
				if first, ok := links[k]; ok {
					return os.Link(first, to)
				}
				links[k] = to
			}
			if err := copyFile(path, to, fi.Mode().Perm()); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: %s files are not copied by a join", path, fi.Mode().Type())
		}
		return setMeta(to, fi)
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := setMeta(dirs[i].path, dirs[i].fi); err != nil {
			return err
		}
	}
	return nil
}

// replace removes what stands at p, unless it is a directory (a file the
// export replaces with a directory of the same name is an error, as when
// the exporter writes it).
func replace(p string) error {
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory", p)
	}
	return os.Remove(p)
}

func copyFile(from, to string, perm fs.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// setMeta gives p fi's owner (where this process may), mode (after the
// owner: chown clears setuid and setgid) and times, without following a
// symlink.
func setMeta(p string, fi os.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if ok {
		if err := os.Lchown(p, int(st.Uid), int(st.Gid)); err != nil && !errors.Is(err, fs.ErrPermission) {
			return err
		}
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		if err := os.Chmod(p, fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
			return err
		}
	}
	if ok {
		ts := []unix.Timespec{unix.NsecToTimespec(st.Atim.Nano()), unix.NsecToTimespec(st.Mtim.Nano())}
		return unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
	}
	return os.Chtimes(p, fi.ModTime(), fi.ModTime())
}
