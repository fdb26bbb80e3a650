package join

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// localPart writes what a node's local exporter writes for one platform:
// a file, an absolute and a relative symlink, a hard link, a setuid file
// and a directory with its own mode.
func localPart(t *testing.T, platform, node, content string) Part {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "bin"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "bin", "tool"), []byte(content), 0o755))
	must(os.Symlink("/bin/tool", filepath.Join(dir, "bin", "abs")))
	must(os.Symlink("tool", filepath.Join(dir, "bin", "rel")))
	must(os.Link(filepath.Join(dir, "bin", "tool"), filepath.Join(dir, "bin", "hard")))
	must(os.Mkdir(filepath.Join(dir, "private"), 0o710))
	must(os.WriteFile(filepath.Join(dir, "private", "suid"), []byte("s"), 0o755))
	must(os.Chmod(filepath.Join(dir, "private", "suid"), 0o755|os.ModeSetuid))
	must(os.Chmod(filepath.Join(dir, "private"), 0o710))
	old := time.Unix(1000, 0)
	for _, p := range []string{"bin/tool", "private/suid", "private", "bin"} {
		must(os.Chtimes(filepath.Join(dir, p), old, old))
	}
	return Part{Platform: platform, Node: node, Local: dir}
}

func TestLocalSplitsByPlatform(t *testing.T) {
	parts := []Part{localPart(t, "linux/amd64", "a", "amd64"), localPart(t, "linux/arm/v7", "b", "armv7")}
	dir := t.TempDir()
	// What the user had in the destination stays, as in the exporter's copy mode.
	if err := os.WriteFile(filepath.Join(dir, "keep"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	epoch := time.Unix(0, 0)
	if err := Local(parts, dir, LocalOptions{Epoch: &epoch}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "keep")); string(b) != "mine" {
		t.Errorf("keep = %q", b)
	}
	for sub, content := range map[string]string{"linux_amd64": "amd64", "linux_arm_v7": "armv7"} {
		root := filepath.Join(dir, sub)
		fi, err := os.Stat(root)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != os.ModeDir|0o755 || !fi.ModTime().Equal(epoch) {
			t.Errorf("%s: %s %s, want drwxr-xr-x at the epoch", sub, fi.Mode(), fi.ModTime())
		}
		if b, _ := os.ReadFile(filepath.Join(root, "bin", "tool")); string(b) != content {
			t.Errorf("%s/bin/tool = %q", sub, b)
		}
		// The platform split prefixes absolute symlinks, as fsutil's SubDirFS.
		if l, _ := os.Readlink(filepath.Join(root, "bin", "abs")); l != "/"+sub+"/bin/tool" {
			t.Errorf("%s/bin/abs -> %q", sub, l)
		}
		if l, _ := os.Readlink(filepath.Join(root, "bin", "rel")); l != "tool" {
			t.Errorf("%s/bin/rel -> %q", sub, l)
		}
		a, _ := os.Stat(filepath.Join(root, "bin", "tool"))
		h, _ := os.Stat(filepath.Join(root, "bin", "hard"))
		if !os.SameFile(a, h) {
			t.Errorf("%s/bin/hard is not a hard link of bin/tool", sub)
		}
		if !a.ModTime().Equal(time.Unix(1000, 0)) || a.Mode() != 0o755 {
			t.Errorf("%s/bin/tool: %s %s", sub, a.Mode(), a.ModTime())
		}
		if fi, _ := os.Stat(filepath.Join(root, "private")); fi.Mode() != os.ModeDir|0o710 || !fi.ModTime().Equal(time.Unix(1000, 0)) {
			t.Errorf("%s/private: %s %s", sub, fi.Mode(), fi.ModTime())
		}
		if fi, _ := os.Stat(filepath.Join(root, "private", "suid")); fi.Mode() != 0o755|os.ModeSetuid {
			t.Errorf("%s/private/suid: %s", sub, fi.Mode())
		}
		if st, _ := os.Lstat(filepath.Join(root, "bin", "tool")); st.Sys().(*syscall.Stat_t).Uid != uint32(os.Getuid()) {
			t.Errorf("%s/bin/tool changed owner", sub)
		}
	}
}

func TestLocalNoSplit(t *testing.T) {
	a := localPart(t, "linux/amd64", "a", "amd64")
	b := Part{Platform: "linux/arm64", Node: "b", Local: t.TempDir()}
	if err := os.WriteFile(filepath.Join(b.Local, "only-arm64"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := Local([]Part{a, b}, dir, LocalOptions{NoSplit: true}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"bin/tool", "only-arm64"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Error(err)
		}
	}
	if l, _ := os.Readlink(filepath.Join(dir, "bin", "abs")); l != "/bin/tool" {
		t.Errorf("without split, bin/abs -> %q, want /bin/tool", l)
	}
	if fi, _ := os.Stat(dir); fi.ModTime().Equal(time.Unix(0, 0)) {
		t.Errorf("without split, the destination's own time was changed")
	}

	// With split and no epoch: the platform directory at time 0, as BuildKit.
	split := t.TempDir()
	if err := Local([]Part{a}, split, LocalOptions{}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(split, "linux_amd64")); !fi.ModTime().Equal(time.Unix(0, 0)) {
		t.Errorf("linux_amd64 without an epoch: %s, want the Unix epoch", fi.ModTime())
	}

	// A path both platforms have: BuildKit's error, before anything is written.
	c := localPart(t, "linux/arm64", "c", "arm64")
	out := filepath.Join(t.TempDir(), "out")
	err := Local([]Part{a, c}, out, LocalOptions{NoSplit: true})
	if err == nil || !strings.Contains(err.Error(), "cannot overwrite") || !strings.Contains(err.Error(), "when split option is disabled") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused join created %s", out)
	}
}

func TestLocalRefusesBadParts(t *testing.T) {
	a := localPart(t, "linux/amd64", "a", "amd64")
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	for _, c := range []struct {
		name  string
		parts []Part
		want  string
	}{
		{"no parts", nil, "no parts"},
		{"same platform twice", []Part{a, {Platform: "linux/amd64", Node: "b", Local: a.Local}}, "both linux/amd64"},
		{"bad platform", []Part{a, {Platform: "linux/", Node: "b", Local: a.Local}}, `part linux/@b: platform "linux/"`},
		{"no directory", []Part{a, {Platform: "linux/arm64", Node: "b"}}, "linux/arm64@b: no local output directory"},
		{"missing directory", []Part{a, {Platform: "linux/arm64", Node: "b", Local: filepath.Join(file, "x")}}, "linux/arm64@b"},
		{"a file", []Part{a, {Platform: "linux/arm64", Node: "b", Local: file}}, "is not a directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			err := Local(c.parts, out, LocalOptions{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a refused join created %s", out)
			}
		})
	}
}
