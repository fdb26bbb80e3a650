package inputs

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeTree creates files (path -> content) under a new temp dir.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func rels(t *testing.T, dir string, abs []string) []string {
	t.Helper()
	var out []string
	for _, p := range abs {
		r, err := filepath.Rel(dir, p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, filepath.ToSlash(r))
	}
	return out
}

func TestOf(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"app/Dockerfile":              "FROM scratch\n",
		"app/main.go":                 "package main\n",
		"app/notes/todo.txt":          "x",
		"app/notes/keep.md":           "x",
		"app/build/out.bin":           "x",
		"app/.dockerignore":           "build\nnotes\n!notes/keep.md\n",
		"svc/Dockerfile":              "FROM scratch\n",
		"svc/Dockerfile.dockerignore": "*.log\n",
		"svc/.dockerignore":           "main.go\n",
		"svc/main.go":                 "package main\n",
		"svc/debug.log":               "x",
		"lib/util.go":                 "package lib\n",
		"lib/testdata/big.bin":        "x",
		"lib/.dockerignore":           "testdata\n",
		"docker/api.Dockerfile":       "FROM scratch\n",
		"src/a.txt":                   "x",
		"src/Dockerfile.dockerignore": "a.txt\n",
	})
	j := func(p string) string { return filepath.Join(dir, p) }
	tests := []struct {
		name  string
		solve Solve
		want  []string // List(), relative to dir
		not   []string // paths Contains must reject (need not exist)
		yes   []string // paths Contains must accept (need not exist)
		deps  map[string]string
		rem   []Remote
	}{{
		name: "context .dockerignore with an exception",
		solve: Solve{
			Attrs:  map[string]string{"filename": "Dockerfile"},
			Locals: map[string]string{"context": j("app"), "dockerfile": j("app")},
		},
		want: []string{"app/.dockerignore", "app/Dockerfile", "app/main.go", "app/notes/keep.md"},
		not:  []string{"app/build/out.bin", "app/notes/todo.txt", "app/build/new.bin", "lib/util.go"},
		yes:  []string{"app/new.go", "app/Dockerfile.dockerignore"},
	}, {
		name: "Dockerfile.dockerignore wins over .dockerignore",
		solve: Solve{
			Attrs:  map[string]string{"filename": "Dockerfile"},
			Locals: map[string]string{"context": j("svc"), "dockerfile": j("svc")},
		},
		// .dockerignore is then an ordinary file of the context
		want: []string{"svc/.dockerignore", "svc/Dockerfile", "svc/Dockerfile.dockerignore", "svc/main.go"},
		not:  []string{"svc/debug.log", "svc/other.log"},
	}, {
		name: "dockerfile outside the context, named local context with its own ignore file",
		solve: Solve{
			Attrs: map[string]string{"filename": "api.Dockerfile", "context:lib": "local:lib", "context:base": "docker-image://alpine:3.20",
				"context:api": "target:api", "context:repo": "https://github.com/moby/buildkit.git#v0.34.2"},
			Locals: map[string]string{"context": j("src"), "dockerfile": j("docker"), "lib": j("lib")},
		},
		want: []string{"docker/api.Dockerfile", "lib/.dockerignore", "lib/util.go", "src/Dockerfile.dockerignore", "src/a.txt"},
		// the main context's ignore rules do not apply to lib; lib's do not apply to src
		not:  []string{"lib/testdata/big.bin", "docker/other.Dockerfile"},
		yes:  []string{"src/.dockerignore", "docker/api.Dockerfile.dockerignore", "src/testdata/x"},
		deps: map[string]string{"api": "api"},
		rem:  []Remote{{Name: "base", Ref: "docker-image://alpine:3.20"}, {Name: "repo", Ref: "https://github.com/moby/buildkit.git#v0.34.2"}},
	}, {
		name: "dockerfile-inline reads no Dockerfile",
		solve: Solve{
			Attrs:  map[string]string{"filename": "Dockerfile", "dockerfilekey": "dockerfile"},
			Locals: map[string]string{"context": j("src"), "dockerfile": ""},
		},
		// src/Dockerfile.dockerignore excludes nothing: there is no Dockerfile beside it
		want: []string{"src/Dockerfile.dockerignore", "src/a.txt"},
		yes:  []string{"src/Dockerfile", "src/.dockerignore"}, // ordinary context files
	}, {
		name: "remote context",
		solve: Solve{
			Attrs:  map[string]string{"filename": "Dockerfile", "context": "https://github.com/moby/buildkit.git"},
			Locals: map[string]string{},
		},
		rem: []Remote{{Name: "context", Ref: "https://github.com/moby/buildkit.git"}},
		not: []string{"src/a.txt"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, err := Of(tc.solve)
			if err != nil {
				t.Fatal(err)
			}
			files, err := in.List()
			if err != nil {
				t.Fatal(err)
			}
			if got := rels(t, dir, files); !slices.Equal(got, tc.want) {
				t.Errorf("List() = %q, want %q", got, tc.want)
			}
			for _, p := range files {
				if !in.Contains(p) {
					t.Errorf("Contains(%s) = false for a listed file", p)
				}
			}
			for _, p := range tc.not {
				if in.Contains(j(p)) {
					t.Errorf("Contains(%s) = true, want false", p)
				}
			}
			for _, p := range tc.yes {
				if !in.Contains(j(p)) {
					t.Errorf("Contains(%s) = false, want true", p)
				}
			}
			if len(tc.deps) > 0 || len(in.Deps) > 0 {
				if len(in.Deps) != len(tc.deps) || in.Deps["api"] != tc.deps["api"] {
					t.Errorf("Deps = %v, want %v", in.Deps, tc.deps)
				}
			}
			if !slices.Equal(in.Remote, tc.rem) {
				t.Errorf("Remote = %v, want %v", in.Remote, tc.rem)
			}
		})
	}
}

func TestOfMalformedIgnoreFile(t *testing.T) {
	dir := writeTree(t, map[string]string{".dockerignore": "[\n"})
	_, err := Of(Solve{Attrs: map[string]string{}, Locals: map[string]string{"context": dir}})
	if err == nil {
		t.Fatal("a malformed pattern was accepted")
	}
	if !strings.Contains(err.Error(), filepath.Join(dir, ".dockerignore")) {
		t.Errorf("error %q does not name the ignore file", err)
	}
}

func TestFingerprint(t *testing.T) {
	dir := writeTree(t, map[string]string{"a": "one", "b/c": "two"})
	files := []string{filepath.Join(dir, "a"), filepath.Join(dir, "b/c")}
	ctx := context.Background()
	var cache StatCache
	first, err := Fingerprint(ctx, files, &cache)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := Fingerprint(ctx, files, &cache); again != first {
		t.Errorf("unchanged files: %s then %s", first, again)
	}
	if cold, _ := Fingerprint(ctx, files, nil); cold != first {
		t.Errorf("cached %s, uncached %s", first, cold)
	}
	// same size, new content and mtime: the cache must not hide it
	if err := os.WriteFile(files[0], []byte("uno"), 0o644); err != nil {
		t.Fatal(err)
	}
	future := mustStat(t, files[0]).ModTime().Add(1e9)
	if err := os.Chtimes(files[0], future, future); err != nil {
		t.Fatal(err)
	}
	edited, _ := Fingerprint(ctx, files, &cache)
	if edited == first {
		t.Error("an edited file left the fingerprint unchanged")
	}
	if err := os.Chmod(files[1], 0o755); err != nil {
		t.Fatal(err)
	}
	if chmod, _ := Fingerprint(ctx, files, &cache); chmod == edited {
		t.Error("a mode change left the fingerprint unchanged")
	}
	if _, err := Fingerprint(ctx, append(files, filepath.Join(dir, "gone")), &cache); err == nil {
		t.Error("a missing file was hashed")
	}
}

func mustStat(t *testing.T, p string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}
