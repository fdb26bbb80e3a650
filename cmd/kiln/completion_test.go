package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestComplete(t *testing.T) {
	dir := t.TempDir()
	bakeFile := filepath.Join(dir, "x.hcl")
	if err := os.WriteFile(bakeFile, []byte(`
group "default" { targets = ["app"] }
target "app" {}
target "lint" {
  matrix = { v = ["a", "b"] }
  name = "lint-${v}"
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		words []string
		want  []string // each must be among the candidates
		not   []string // none may be
	}{
		{words: []string{"ba"}, want: []string{"bake", "version", "completion"}, not: []string{"__complete"}},
		{words: []string{"bake", "--pr"}, want: []string{"--print", "--progress", "--file"}, not: []string{"--list-targets"}},
		{words: []string{"bake", "--progress", ""}, want: []string{"plain", "rawjson"}},
		{words: []string{"bake", "-f", ""}, want: []string{":files"}},
		{words: []string{"bake", "-f", bakeFile, ""}, want: []string{"default", "app", "lint", "lint-a", "lint-b"}},
		{words: []string{"bake", "--file=" + bakeFile, "--print", "a"}, want: []string{"app"}},
	} {
		got := complete(ctx, tc.words)
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("complete(%q): %q missing from %q", tc.words, w, got)
			}
		}
		for _, w := range tc.not {
			if slices.Contains(got, w) {
				t.Errorf("complete(%q): %q should not be offered", tc.words, w)
			}
		}
	}
}
