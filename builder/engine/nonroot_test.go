package engine

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kiln-build/kiln/internal/testenv"
)

// TestStartAsNonRoot runs Start in a copy of this test binary as user
// nobody: it must refuse at once, saying root is needed or --builder.
func TestStartAsNonRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to another user")
	}
	// t.TempDir's parent is private to root; nobody must reach the binary.
	dir, err := os.MkdirTemp("", "kiln-nonroot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "engine.test")
	testenv.CopyExecutable(t, os.Args[0], bin)
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), "KILN_ENGINE_HELPER=start", "KILN_TEST_ROOT="+filepath.Join(dir, "state"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	msg := strings.TrimSpace(string(out))
	if err == nil {
		t.Fatalf("Start as nobody succeeded: %s", msg)
	}
	if msg != ErrNeedRoot.Error() {
		t.Errorf("as nobody (%v): %q, want %q", err, msg, ErrNeedRoot)
	}
	if _, err := os.Stat(filepath.Join(dir, "state")); err == nil {
		t.Error("a refused Start created the state directory")
	}
}
