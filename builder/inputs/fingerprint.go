package inputs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sync/errgroup"
)

// StatCache remembers the content digest of files by (size, mtime, inode),
// so a file whose stat is unchanged is not read again. The zero value is
// ready; it is safe for concurrent use. It trusts mtime as make and
// BuildKit's own file sender do: a write that keeps size, mtime and inode
// goes unseen.
type StatCache struct {
	mu sync.Mutex
	m  map[string]statEntry
}

type statEntry struct {
	size, mtime int64
	ino         uint64
	sum         [sha256.Size]byte
	used        bool // looked up or added since Load: Save keeps only these
}

func (c *StatCache) get(p string, e statEntry) ([sha256.Size]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.m[p]
	if !ok || old.size != e.size || old.mtime != e.mtime || old.ino != e.ino {
		return [sha256.Size]byte{}, false
	}
	if !old.used {
		old.used = true
		c.m[p] = old
	}
	return old.sum, true
}

func (c *StatCache) put(p string, e statEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]statEntry{}
	}
	c.m[p] = e
}

// Fingerprint is the sha256, in hex, of each file's path, mode and content
// (a symlink's target instead of content), in the order given. Files are
// hashed in parallel; cache may be nil. A file that vanished is an error:
// the caller lists and hashes in one go, and a file deleted in between
// means the inputs are changing under it.
func Fingerprint(ctx context.Context, files []string, cache *StatCache) (string, error) {
	if cache == nil {
		cache = &StatCache{}
	}
	sums := make([][sha256.Size]byte, len(files))
	modes := make([]os.FileMode, len(files))
	g, ctx := errgroup.WithContext(ctx)
	// a few workers, each taking every n-th file: reads wait on the disk
	// as much as on the CPU, and a goroutine per file would cost more
	// than the stat of a file the cache knows
	workers := min(2*runtime.GOMAXPROCS(0), len(files))
	for w := range workers {
		g.Go(func() error {
			for i := w; i < len(files); i += workers {
				if err := ctx.Err(); err != nil {
					return err
				}
				var err error
				if sums[i], modes[i], err = hashFile(files[i], cache); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return "", err
	}
	h := sha256.New()
	for i, p := range files {
		fmt.Fprintf(h, "%s\x00%o\x00", p, uint32(modes[i]))
		h.Write(sums[i][:])
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(p string, cache *StatCache) ([sha256.Size]byte, os.FileMode, error) {
	var sum [sha256.Size]byte
	fi, err := os.Lstat(p)
	if err != nil {
		return sum, 0, err
	}
	e := statEntry{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.ino = st.Ino
	}
	if s, ok := cache.get(p, e); ok {
		return s, fi.Mode(), nil
	}
	h := sha256.New()
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return sum, 0, err
		}
		io.WriteString(h, target)
	case fi.Mode().IsRegular():
		f, err := os.Open(p)
		if err != nil {
			return sum, 0, err
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return sum, 0, fmt.Errorf("%s: %w", p, err)
		}
	}
	copy(sum[:], h.Sum(nil))
	e.sum, e.used = sum, true
	cache.put(p, e)
	return sum, fi.Mode(), nil
}
