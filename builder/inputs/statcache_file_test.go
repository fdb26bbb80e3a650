package inputs

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A saved cache answers for unchanged files in the next process, and a
// foreign or damaged file is an error, never entries trusted.
func TestStatCacheSaveLoad(t *testing.T) {
	dir := writeTree(t, map[string]string{"a": "1", "b": "2", "fresh": "3"})
	old := time.Now().Add(-time.Hour)
	for _, n := range []string{"a", "b"} {
		if err := os.Chtimes(filepath.Join(dir, n), old, old); err != nil {
			t.Fatal(err)
		}
	}
	files := []string{filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "fresh")}
	var c StatCache
	want, err := Fingerprint(t.Context(), files, &c)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sub", "stat.cache")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	var loaded StatCache
	if err := loaded.Load(path); err != nil {
		t.Fatal(err)
	}
	if _, ok := loaded.m[files[0]]; !ok {
		t.Error("an old file's entry was not saved")
	}
	if _, ok := loaded.m[files[2]]; ok {
		t.Error("a file changed just now was saved (racily clean)")
	}
	if got, _ := Fingerprint(t.Context(), files, &loaded); got != want {
		t.Error("the loaded cache gives another fingerprint")
	}
	// entries not used since Load are not saved again
	var partial StatCache
	if err := partial.Load(path); err != nil {
		t.Fatal(err)
	}
	if _, err := Fingerprint(t.Context(), files[:1], &partial); err != nil {
		t.Fatal(err)
	}
	path2 := filepath.Join(t.TempDir(), "stat.cache")
	if err := partial.Save(path2); err != nil {
		t.Fatal(err)
	}
	var reread StatCache
	if err := reread.Load(path2); err != nil {
		t.Fatal(err)
	}
	if _, ok := reread.m[files[1]]; ok || len(reread.m) != 1 {
		t.Errorf("saved %d entries, want only the one used", len(reread.m))
	}
	// a changed file is read again whatever the cache says
	if err := os.WriteFile(files[0], []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := Fingerprint(t.Context(), files, &loaded); got == want {
		t.Error("an edited file kept its cached digest")
	}
	var none StatCache
	if err := none.Load(filepath.Join(t.TempDir(), "missing")); err != nil {
		t.Errorf("a missing cache file: %v", err)
	}
	if err := os.WriteFile(path, []byte("not a stat cache"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := none.Load(path); err == nil {
		t.Error("a foreign file loaded")
	}
	if len(none.m) != 0 {
		t.Error("entries from a foreign file")
	}
}
