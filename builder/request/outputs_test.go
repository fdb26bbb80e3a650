package request

import (
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
