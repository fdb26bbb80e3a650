package bake

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseFiles feeds arbitrary bytes as each kind of bake file: loading
// may reject them but must not panic, and what it accepts must resolve.
func FuzzParseFiles(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/bake/*/*.hcl")
	more, _ := filepath.Glob("../testdata/bake/*/*.y*ml")
	for _, p := range append(seeds, more...) {
		if dt, err := os.ReadFile(p); err == nil {
			f.Add(filepath.Base(p), dt)
		}
	}
	f.Add("docker-bake.json", []byte(`{"target":{"a":{"tags":["x"]}}}`))
	f.Add("-", []byte("target \"a\" {\n"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if name == "" {
			name = "-"
		}
		c, _, err := ParseFiles([]File{{Name: filepath.Base(name), Data: data}}, ParseOptions{})
		if err != nil {
			return
		}
		names := make([]string, 0, len(c.Targets))
		for _, tgt := range c.Targets {
			names = append(names, tgt.Name)
		}
		if len(names) > 0 {
			// resolving may fail (unknown parents, link loops) but must not panic
			_, _ = c.ResolvePlan(names, nil, nil)
		}
	})
}
