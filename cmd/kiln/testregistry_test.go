package main

// A real docker-registry (CNCF Distribution) on 127.0.0.1 for push and cache tests.

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// registry is a docker-registry (CNCF Distribution) process on 127.0.0.1.
type registry struct {
	addr string
	cmd  *exec.Cmd
	dir  string
}

// testRegistry starts the registry the tests share, once.
func testRegistry(t *testing.T) *registry {
	t.Helper()
	regOnce.Do(func() {
		reg, regErr = startRegistry()
		if reg != nil {
			atExit(reg.stop)
		}
	})
	if regErr != nil {
		msg := "starting docker-registry: " + regErr.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg + " (install it with hack/install-deps.sh)")
	}
	return reg
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startRegistry() (*registry, error) {
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "kiln-it-registry-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(dir, "data"), addr)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &registry{addr: addr, cmd: cmd, dir: dir}
	for i := 0; i < 100; i++ {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.stop()
	log, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
	return nil, fmt.Errorf("registry on %s did not answer /v2/:\n%s", addr, log)
}

func (r *registry) stop() {
	syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	r.cmd.Wait()
	os.RemoveAll(r.dir)
}

// registryRepo reads one repository of the registry over HTTP.
type registryRepo struct {
	r    *registry
	name string
}

const manifestAccept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, " +
	"application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json"

func (rr registryRepo) get(kind, ref string) ([]byte, http.Header, error) {
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://%s/v2/%s/%s/%s", rr.r.addr, rr.name, kind, ref), nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", manifestAccept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: %s: %s", req.URL, resp.Status, b)
	}
	return b, resp.Header, nil
}

func (rr registryRepo) blob(digest string) ([]byte, error) {
	b, _, err := rr.get("blobs", digest)
	return b, err
}

func (rr registryRepo) manifest(digest string) ([]byte, error) {
	b, _, err := rr.get("manifests", digest)
	return b, err
}

// images fetches tag's manifest and returns its images by platform and the
// digest the registry gives the top-level manifest.
func (rr registryRepo) images(t *testing.T, tag string) (map[string]*image, string) {
	t.Helper()
	b, h, err := rr.get("manifests", tag)
	if err != nil {
		t.Fatalf("fetch %s/%s:%s: %v", rr.r.addr, rr.name, tag, err)
	}
	return images(t, rr, b), h.Get("Docker-Content-Digest")
}

// --- leftovers of a killed engine -------------------------------------------
