package testenv

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// ErrNoRegistry: the docker-registry binary is not in PATH.
var ErrNoRegistry = errors.New("docker-registry not installed (apt-get install docker-registry, or bash hack/install-deps.sh)")

// Registry is a CNCF Distribution registry (Debian's docker-registry)
// serving plain HTTP on a free port of 127.0.0.1.
type Registry struct {
	Addr string // host:port
	cmd  *exec.Cmd
	dir  string
}

// RegistryOption changes the registry's configuration.
type RegistryOption func(*registryConfig)

type registryConfig struct{ user, pass string }

// WithHtpasswd makes the registry ask for user and pass (basic auth).
func WithHtpasswd(user, pass string) RegistryOption {
	return func(c *registryConfig) { c.user, c.pass = user, pass }
}

const registryYAML = `version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`

// NewRegistry starts a registry in a temporary directory and waits until it
// answers /v2/; Stop ends it. For TestMain and once-shared registries: tests
// call StartRegistry.
func NewRegistry(opts ...RegistryOption) (*Registry, error) {
	var c registryConfig
	for _, o := range opts {
		o(&c)
	}
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		return nil, ErrNoRegistry
	}
	dir, err := os.MkdirTemp("", "kiln-test-registry-")
	if err != nil {
		return nil, err
	}
	r := &Registry{dir: dir}
	if err := r.start(bin, c); err != nil {
		r.Stop()
		return nil, err
	}
	return r, nil
}

func (r *Registry) start(bin string, c registryConfig) error {
	port, err := FreePort()
	if err != nil {
		return err
	}
	r.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	yml := fmt.Sprintf(registryYAML, filepath.Join(r.dir, "data"), r.Addr)
	ready := http.StatusOK
	if c.user != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(c.pass), bcrypt.DefaultCost)
		if err != nil {
			return err
		}
		htpasswd := filepath.Join(r.dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(c.user+":"+string(hash)+"\n"), 0o644); err != nil {
			return err
		}
		yml += fmt.Sprintf("auth:\n  htpasswd:\n    realm: kiln\n    path: %s\n", htpasswd)
		ready = http.StatusUnauthorized
	}
	conf := filepath.Join(r.dir, "config.yml")
	if err := os.WriteFile(conf, []byte(yml), 0o644); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(r.dir, "registry.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "serve", conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	r.cmd = cmd
	var status string
	for i := 0; i < 300; i++ {
		resp, err := http.Get("http://" + r.Addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == ready {
				return nil
			}
			status = resp.Status
		} else {
			status = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("registry on %s never answered /v2/ with %d (last: %s):\n%s", r.Addr, ready, status, r.Log())
}

// FreePort is a TCP port of 127.0.0.1 that nothing listens on (for now).
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Log is what the registry wrote so far.
func (r *Registry) Log() string {
	b, _ := os.ReadFile(filepath.Join(r.dir, "registry.log"))
	return string(b)
}

// Stop kills the registry and removes its directory.
func (r *Registry) Stop() {
	if r.cmd != nil {
		syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		r.cmd.Wait()
	}
	os.RemoveAll(r.dir)
}

// StartRegistry starts a registry for t, stopped when t ends (its output
// logged if t failed), and returns host:port. Without docker-registry t is
// skipped, or fails when the environment variable CI is set.
func StartRegistry(t testing.TB, opts ...RegistryOption) string {
	t.Helper()
	r, err := NewRegistry(opts...)
	if errors.Is(err, ErrNoRegistry) {
		if os.Getenv("CI") != "" {
			t.Fatal("CI: " + err.Error())
		}
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("registry log:\n%s", r.Log())
		}
		r.Stop()
	})
	return r.Addr
}

// ManifestAccept accepts every manifest and index media type a registry serves.
const ManifestAccept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, " +
	"application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json"

// ManifestDigest is the registry's digest for repo:tag, "" when absent.
func ManifestDigest(t testing.TB, addr, repo, tag string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodHead, "http://"+addr+"/v2/"+repo+"/manifests/"+tag, nil)
	req.Header.Set("Accept", ManifestAccept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	return resp.Header.Get("Docker-Content-Digest")
}
