package builder

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// translateAll translates name=json target pairs in a working directory.
func translateAll(t *testing.T, dir string, targets ...string) []*Request {
	t.Helper()
	var reqs []*Request
	for i := 0; i < len(targets); i += 2 {
		r, err := Translate(targets[i], target(t, targets[i+1]), Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	return reqs
}

func TestCheckOutputsCollisions(t *testing.T) {
	dir := workdir(t)
	os.Symlink(filepath.Join(dir, "app"), filepath.Join(dir, "link"))
	for _, c := range []struct {
		name    string
		a, b    string
		wantErr string // empty: no collision
	}{
		{"same tar", `{"output":[{"type":"tar","dest":"out/x.tar"}]}`, `{"output":[{"type":"oci","dest":"./out/../out/x.tar"}]}`, `targets "a" and "b": two outputs write to ` + dir + `/out/x.tar`},
		{"same dir", `{"output":[{"type":"local","dest":"out"}]}`, `{"output":[{"type":"local","dest":"out/"}]}`, `two outputs write to ` + dir + `/out`},
		{"through a symlink", `{"output":[{"type":"local","dest":"app/out"}]}`, `{"output":[{"type":"local","dest":"link/out"}]}`, `two outputs write to ` + dir + `/app/out`},
		{"tar inside dir", `{"output":[{"type":"local","dest":"out"}]}`, `{"output":[{"type":"tar","dest":"out/sub/x.tar"}]}`, `targets "a" and "b": output ` + dir + `/out/sub/x.tar is inside output directory ` + dir + `/out`},
		{"dir inside dir, other way round", `{"output":[{"type":"oci","tar":"false","dest":"out/layout"}]}`, `{"output":[{"type":"local","dest":"out"}]}`, `output ` + dir + `/out/layout is inside output directory ` + dir + `/out`},
		{"two stdout", `{"output":[{"type":"tar","dest":"-"}]}`, `{"output":[{"type":"oci"}]}`, `targets "a" and "b": multiple outputs configured to write to stdout`},
		{"one target, two outputs", `{"output":[{"type":"local","dest":"out"},{"type":"tar","dest":"out/x.tar"}]}`, `{}`, `target "a": output ` + dir + `/out/x.tar is inside output directory ` + dir + `/out`},
		{"siblings", `{"output":[{"type":"local","dest":"out"}]}`, `{"output":[{"type":"local","dest":"out2"},{"type":"tar","dest":"out.tar"}]}`, ""},
		{"multi-platform local is one output", `{"platforms":["linux/amd64","linux/arm64"],"output":[{"type":"local","dest":"out"}]}`, `{"output":[{"type":"tar","dest":"-"}]}`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckOutputs(translateAll(t, dir, "a", c.a, "b", c.b), "")
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case c.wantErr != "" && err == nil:
				t.Fatalf("accepted, want %q", c.wantErr)
			case c.wantErr != "" && !strings.Contains(err.Error(), c.wantErr):
				t.Fatalf("error %q, want %q", err, c.wantErr)
			}
		})
	}
}

func TestCheckOutputsUnwritable(t *testing.T) {
	dir := workdir(t)
	os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o644)
	os.Mkdir(filepath.Join(dir, "adir"), 0o755)
	ro := readOnlyDir(t)
	for _, c := range []struct{ out, meta, wantErr string }{
		{`{"type":"tar","dest":"` + ro + `/x.tar"}`, "", `target "a": output ` + ro + `/x.tar: directory ` + ro + ` is not writable: read-only file system`},
		{`{"type":"local","dest":"` + ro + `/new/deeper"}`, "", `target "a": output ` + ro + `/new/deeper: directory ` + ro + ` is not writable`},
		{`{"type":"local","dest":"file"}`, "", `target "a": output: destination directory ` + dir + `/file is a file`},
		{`{"type":"tar","dest":"adir"}`, "", `target "a": output: destination file ` + dir + `/adir is a directory`},
		{`{"type":"tar","dest":"file/x.tar"}`, "", `is not a directory`},
		{`{"type":"tar","dest":"out/x.tar"}`, ro + "/meta.json", `--metadata-file ` + ro + `/meta.json: directory ` + ro + ` is not writable: read-only file system`},
		{`{"type":"tar","dest":"out/x.tar"}`, dir + "/new/meta.json", ""},
	} {
		err := CheckOutputs(translateAll(t, dir, "a", `{"output":[`+c.out+`]}`), c.meta)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: rejected: %v", c.out, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s %s: error %v, want %q", c.out, c.meta, err, c.wantErr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); !os.IsNotExist(err) {
		t.Errorf("the check made a directory: %v", err)
	}
}

// readOnlyDir is a read-only tmpfs mount: mode 0555 does not stop root.
func readOnlyDir(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a read-only tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

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
	if err := WriteMetadataFile(filepath.Join(dir, "m.json"), &Report{}); err != nil {
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
	r, err := Translate("t", target(t, `{"context":"app","output":[{"type":"local","dest":"."},{"type":"local","dest":"out"}]}`), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	so, release, err := r.solveOpt(&runEnv{})
	if err != nil {
		t.Fatal(err)
	}
	defer release(nil)
	if got := so.Exports[0].OutputDir; got != resolveDest(dir) {
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
	if got := readFile(t, filepath.Join(dest, "f")); got != "new" {
		t.Errorf("dest holds %q after the swap", got)
	}
	if got := readFile(t, filepath.Join(tmp, "f")); got != "old" {
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
	if got := readFile(t, filepath.Join(dest, "f")); got != "new" {
		t.Errorf("the tree set aside was not put back: %q", got)
	}
	if _, err := os.Stat(aside); !os.IsNotExist(err) {
		t.Errorf("%s is still there", aside)
	}
}
