package skip

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/builder/inputs"
	"github.com/kiln-build/kiln/internal/testenv"
)

// Each kind of output is captured after a build and verified before a
// skip against the real thing: files, directories, a registry.
func TestOutputsCaptureVerify(t *testing.T) {
	addr := testenv.StartRegistry(t)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "out", "a"), "a")
	write(t, filepath.Join(dir, "img.tar"), "tar")
	write(t, filepath.Join(dir, "cache", "index.json"), "{}")
	pushed := testenv.PushEmptyImage(t, addr, "app", "1", "one")
	cacheDigest := testenv.PushEmptyImage(t, addr, "cache", "main", "c")
	c := &Checker{Resolver: NewResolver(), Stat: &inputs.StatCache{}}
	outs := []Output{
		{Kind: KindDir, Path: filepath.Join(dir, "out")},
		{Kind: KindFile, Path: filepath.Join(dir, "img.tar")},
		{Kind: KindPush, Ref: addr + "/app:1"},
		{Kind: KindCacheRegistry, Ref: addr + "/cache:main"},
		{Kind: KindCacheLocal, Path: filepath.Join(dir, "cache")},
	}
	got, err := c.Capture(t.Context(), outs, map[string]string{"containerimage.digest": pushed})
	if err != nil {
		t.Fatal(err)
	}
	if got[2].Digest != pushed || got[3].Digest != cacheDigest {
		t.Errorf("captured push %s, cache %s; want %s, %s", got[2].Digest, got[3].Digest, pushed, cacheDigest)
	}
	if why := c.Verify(t.Context(), got); why != "" {
		t.Fatalf("unchanged outputs: %s", why)
	}
	changes := []struct {
		what, want string
		change     func()
	}{
		{"a directory's file", "output directory", func() { write(t, filepath.Join(dir, "out", "a"), "b") }},
		{"an empty directory added", "output directory", func() { os.Mkdir(filepath.Join(dir, "out", "new"), 0o755) }},
		{"a tarball", "output file", func() { write(t, filepath.Join(dir, "img.tar"), "other") }},
		{"a pushed tag moved", "pushed image", func() { testenv.PushEmptyImage(t, addr, "app", "1", "two") }},
		{"a cache ref moved", "cache " + addr, func() { testenv.PushEmptyImage(t, addr, "cache", "main", "d") }},
		{"a local cache", "cache " + dir, func() { write(t, filepath.Join(dir, "cache", "index.json"), `{"x":1}`) }},
	}
	for _, ch := range changes {
		ch.change()
		why := c.Verify(t.Context(), got)
		if !strings.HasPrefix(why, ch.want) {
			t.Errorf("%s changed: Verify = %q, want it to start with %q", ch.what, why, ch.want)
		}
		if got, err = c.Capture(t.Context(), outs, map[string]string{"containerimage.digest": testenv.ManifestDigest(t, addr, "app", "1")}); err != nil {
			t.Fatal(err)
		}
	}
	testenv.DeleteManifest(t, addr, "app", got[2].Digest)
	if why := c.Verify(t.Context(), got); !strings.HasPrefix(why, "pushed image") {
		t.Errorf("pushed tag deleted: Verify = %q", why)
	}
}

// A loaded image is checked through the Docker engine's API. No Docker
// engine runs on this machine, so this test serves the one call kiln
// makes (GET /images/NAME/json) on a unix socket: a stand-in for dockerd.
func TestOutputsLoadedImage(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	images := map[string]string{"app:1": "sha256:aaa"}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/images/"), "/json")
		id, ok := images[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"Id": id})
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	c := &Checker{}
	outs := []Output{{Kind: KindLoad, Ref: "app:1", Host: "unix://" + sock}}
	got, err := c.Capture(t.Context(), outs, nil)
	if err != nil || got[0].Digest != "sha256:aaa" {
		t.Fatalf("Capture = %v, %v", got, err)
	}
	if why := c.Verify(t.Context(), got); why != "" {
		t.Errorf("image present: %s", why)
	}
	images["app:1"] = "sha256:bbb"
	if why := c.Verify(t.Context(), got); !strings.Contains(why, "changed") {
		t.Errorf("image replaced: Verify = %q", why)
	}
	delete(images, "app:1")
	if why := c.Verify(t.Context(), got); !strings.Contains(why, "not in the Docker engine") {
		t.Errorf("image removed: Verify = %q", why)
	}
}
