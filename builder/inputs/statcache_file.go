package inputs

import (
	"bufio"
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// statCacheFormat names the file format, so that a file of another
// version (or not a stat cache at all) is ignored instead of trusted.
const statCacheFormat = "kiln-statcache-1"

type statCacheFile struct {
	Format  string
	Entries map[string]statFileEntry
}

type statFileEntry struct {
	Size, Mtime int64
	Ino         uint64
	Sum         [32]byte
}

// racyWindow: an entry whose file changed this recently before Save is
// not kept. A write in the same mtime tick as the hash would otherwise go
// unseen forever (git calls these entries "racily clean").
const racyWindow = 2 * time.Second

// Load adds the entries saved in path to the cache. A missing file is an
// empty cache; an unreadable or foreign one is an error the caller warns
// about and goes on without (the cache only saves reads).
func (c *StatCache) Load(path string) error {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	var sf statCacheFile
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&sf); err != nil {
		return fmt.Errorf("stat cache %s: %w", path, err)
	}
	if sf.Format != statCacheFormat {
		return fmt.Errorf("stat cache %s: format %q, not %q", path, sf.Format, statCacheFormat)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]statEntry, len(sf.Entries))
	}
	for p, e := range sf.Entries {
		c.m[p] = statEntry{size: e.Size, mtime: e.Mtime, ino: e.Ino, sum: e.Sum}
	}
	return nil
}

// Save writes the cache to path atomically (a temporary file renamed
// over it), with the entries used since Load (files deleted or no longer
// read drop out), leaving out those of files changed within racyWindow.
func (c *StatCache) Save(path string) error {
	limit := time.Now().Add(-racyWindow).UnixNano()
	sf := statCacheFile{Format: statCacheFormat, Entries: map[string]statFileEntry{}}
	c.mu.Lock()
	for p, e := range c.m {
		if e.used && e.mtime < limit {
			sf.Entries[p] = statFileEntry{Size: e.size, Mtime: e.mtime, Ino: e.ino, Sum: e.sum}
		}
	}
	c.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".statcache-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	if err := gob.NewEncoder(w).Encode(&sf); err != nil {
		tmp.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
