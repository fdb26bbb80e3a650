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
