package node

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kiln-build/kiln/builder/engine"
	"github.com/kiln-build/kiln/internal/testenv"
)

// TestOpenWithoutRoot: a kiln running as nobody asked for the embedded
// engine uses `kiln engine serve` when its socket is there and open to
// nobody's group, and otherwise says root is needed.
func TestOpenWithoutRoot(t *testing.T) {
	requireEngine(t)
	dir, err := os.MkdirTemp("", "kiln-open-nonroot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	addr := "unix://" + filepath.Join(dir, "kiln.sock")
	l, err := engine.Listen(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := engine.ChownSocket(addr, 65534); err != nil {
		t.Fatal(err)
	}
	e := serve(t, t.TempDir(), addr, l)
	bin := filepath.Join(dir, "builder.test")
	testenv.CopyExecutable(t, os.Args[0], bin)

	asNobody := func(serveAddr string) string {
		cmd := exec.Command(bin, "-test.run=^TestOpenHelperAsNobody$")
		cmd.Env = append(os.Environ(), "KILN_OPEN_HELPER=1", "KILN_TEST_SERVE="+serveAddr, "KILN_ROOT="+filepath.Join(dir, "state"))
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, _ := cmd.CombinedOutput()
		return string(out)
	}

	out := asNobody(addr)
	want := fmt.Sprintf("name=embedded (kiln engine serve at %s) worker=%s", addr, workerID(t, e.Client()))
	if !strings.Contains(out, want) {
		t.Errorf("as nobody with a served engine: want %q in:\n%s", want, out)
	}
	out = asNobody("unix://" + filepath.Join(dir, "absent.sock"))
	if !strings.Contains(out, "error="+engine.ErrNeedRoot.Error()) {
		t.Errorf("as nobody without a served engine: want the needs-root error in:\n%s", out)
	}
}

// TestOpenHelperAsNobody is TestOpenWithoutRoot's other process.
func TestOpenHelperAsNobody(t *testing.T) {
	if os.Getenv("KILN_OPEN_HELPER") == "" {
		t.Skip("run by TestOpenWithoutRoot")
	}
	n, err := Open(context.Background(), "embedded", OpenOptions{ServeAddr: os.Getenv("KILN_TEST_SERVE")})
	if err != nil {
		fmt.Printf("error=%v\n", err)
		return
	}
	defer n.Close()
	fmt.Printf("name=%s worker=%s\n", n.Name(), workerID(t, n.Client()))
}
