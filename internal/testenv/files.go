package testenv

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// RepoRoot is the module's root directory, found from this source file.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Busybox is the path of the static busybox binary for arch (amd64, arm64,
// ...) that hack/install-deps.sh puts in testdata/demo/base; it may be absent.
func Busybox(arch string) string {
	return filepath.Join(RepoRoot(), "testdata", "demo", "base", "busybox-"+arch)
}

// CopyExecutable copies src to dst with mode 0755.
func CopyExecutable(t testing.TB, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// Workdir is a working directory with the build contexts the builder's
// tests name: app (with a Dockerfile), app/sub and shared.
func Workdir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"app", "app/sub", "shared"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "app/Dockerfile"), []byte("FROM scratch\n"), 0o644)
	return dir
}

// ReadFile is the content of p.
func ReadFile(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ListDir is the names in directory p, sorted.
func ListDir(t testing.TB, p string) []string {
	t.Helper()
	ents, err := os.ReadDir(p)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}
