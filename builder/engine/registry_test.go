package engine

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
)

// startRegistry runs CNCF Distribution (Debian's docker-registry) on a free
// port of 127.0.0.1 and returns host:port.
func startRegistry(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Skip("docker-registry not installed (apt-get install docker-registry, or bash hack/install-deps.sh)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "config.yml")
	yml := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), host)
	if err := os.WriteFile(conf, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", conf)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("registry log:\n%s", log.String())
		}
	})
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return host
			}
		}
		if i == 300 {
			t.Fatalf("registry on %s never answered: %v", host, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRegistryPushAndMirror pushes an image to a plain-HTTP registry on
// 127.0.0.1, then pulls it back as docker.io/... through a mirror set in
// the state directory's buildkitd.toml: without the config file the pull
// would go to the internet and fail.
func TestRegistryPushAndMirror(t *testing.T) {
	requireEngine(t)
	base := busyboxDir(t, "amd64")
	reg := startRegistry(t)
	root := t.TempDir()
	toml := fmt.Sprintf("[registry.\"docker.io\"]\n  mirrors = [%q]\n[registry.%q]\n  http = true\n", reg, reg)
	if err := os.WriteFile(filepath.Join(root, ConfigFileName), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	e := startEngine(t, root)

	img := sh(baseImage(), "echo pushed > /pushed").Root()
	ref := reg + "/kiln/test:latest"
	res := solve(t, e.Client(), img, base, client.SolveOpt{Exports: []client.ExportEntry{{
		Type:  client.ExporterImage,
		Attrs: map[string]string{"name": ref, "push": "true"},
	}}})
	dgst := res.response.ExporterResponse["containerimage.digest"]
	if dgst == "" {
		t.Fatalf("no image digest in %v", res.response.ExporterResponse)
	}

	req, _ := http.NewRequest(http.MethodHead, "http://"+reg+"/v2/kiln/test/manifests/latest", nil)
	req.Header.Set("Accept", "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("registry has no kiln/test:latest: %s", resp.Status)
	}
	if got := resp.Header.Get("Docker-Content-Digest"); got != dgst {
		t.Errorf("registry digest %s, pushed %s", got, dgst)
	}

	pulled := llb.Image("docker.io/kiln/test:latest")
	out := sh(pulled, "cat /pushed > /out/pulled").AddMount("/out", llb.Scratch())
	res = solve(t, e.Client(), out, "", client.SolveOpt{})
	if got := readFile(t, filepath.Join(res.out, "pulled")); strings.TrimSpace(got) != "pushed" {
		t.Errorf("pulled = %q", got)
	}
}
