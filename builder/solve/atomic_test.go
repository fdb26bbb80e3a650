package solve

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/internal/testenv"
)

// TestLeftoversRemoved checks that a run removes the temporaries a killed
// kiln left beside a destination, and nothing else: not a live process's,
// not a name outside kiln's pattern.
func TestLeftoversRemoved(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	names := map[string]bool{ // name → removed
		fmt.Sprintf(".m.json.kiln-tmp-%d-1", dead):         true,
		fmt.Sprintf(".m.json.kiln-tmp-%d-2", os.Getppid()): false,
		".m.json.kiln-tmp-x-1":                             false,
		".m.json.other":                                    false,
		fmt.Sprintf(".n.json.kiln-tmp-%d-1", dead):         false, // another destination's
	}
	for n := range names {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	if err := ReplaceFile(filepath.Join(dir, "m.json"), 0o644, func(w io.Writer) error { _, err := io.WriteString(w, "{}"); return err }); err != nil {
		t.Fatal(err)
	}
	for n, removed := range names {
		_, err := os.Stat(filepath.Join(dir, n))
		if removed != os.IsNotExist(err) {
			t.Errorf("%s: removed %v, want %v", n, os.IsNotExist(err), removed)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "m.json")); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("metadata file: %v %v", fi, err)
	}
}

// TestDirOutputHoldingInputsInPlace checks that an output directory holding
// the build's own context (dest=.) is written in place, not swapped, while
// one beside it goes through a temporary.
func TestDirOutputHoldingInputsInPlace(t *testing.T) {
	dir := workdir(t)
	os.Mkdir(filepath.Join(dir, "out"), 0o755)
	r, err := request.Translate("t", target(t, `{"context":"app","output":[{"type":"local","dest":"."},{"type":"local","dest":"out"}]}`), request.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	so, release, err := solveOpt(r, &runEnv{})
	if err != nil {
		t.Fatal(err)
	}
	defer release(nil)
	if got := so.Exports[0].OutputDir; got != request.ResolveDest(dir) {
		t.Errorf("dest=. holding the context is written at %s, want in place", got)
	}
	if got := so.Exports[1].OutputDir; !strings.Contains(got, ".out.kiln-tmp-") {
		t.Errorf("dest=out is written at %s, want a temporary", got)
	}
}

// TestSwapAsideAndRestore checks exchange's fallback for file systems
// without RENAME_EXCHANGE, and that a run which finds dest missing and the
// previous tree set aside by a killed kiln puts it back.
func TestSwapAsideAndRestore(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "out")
	os.MkdirAll(dest, 0o755)
	os.WriteFile(filepath.Join(dest, "f"), []byte("old"), 0o644)
	tmp := filepath.Join(dir, ".out.kiln-tmp-1-1")
	os.MkdirAll(tmp, 0o755)
	os.WriteFile(filepath.Join(tmp, "f"), []byte("new"), 0o644)
	if err := swapAside(tmp, dest); err != nil {
		t.Fatal(err)
	}
	if got := testenv.ReadFile(t, filepath.Join(dest, "f")); got != "new" {
		t.Errorf("dest holds %q after the swap", got)
	}
	if got := testenv.ReadFile(t, filepath.Join(tmp, "f")); got != "old" {
		t.Errorf("the temporary holds %q after the swap, want the previous tree", got)
	}

	// A kill between the two renames: dest missing, the previous tree aside.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	aside := filepath.Join(dir, fmt.Sprintf(".out.kiln-tmp-%d-2.old", cmd.Process.Pid))
	os.RemoveAll(tmp)
	if err := os.Rename(dest, aside); err != nil {
		t.Fatal(err)
	}
	removeLeftovers(dest)
	if got := testenv.ReadFile(t, filepath.Join(dest, "f")); got != "new" {
		t.Errorf("the tree set aside was not put back: %q", got)
	}
	if _, err := os.Stat(aside); !os.IsNotExist(err) {
		t.Errorf("%s is still there", aside)
	}
}
