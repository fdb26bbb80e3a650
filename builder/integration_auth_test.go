package builder

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/session/auth/authprovider"
	"golang.org/x/crypto/bcrypt"
)

// startAuthRegistry runs docker-registry with htpasswd basic auth.
func startAuthRegistry(t *testing.T, user, pass string) string {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Skip("integration: needs docker-registry")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "htpasswd"), []byte(user+":"+string(hash)+"\n"), 0o644)
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\nauth:\n  htpasswd:\n    realm: kiln\n    path: %s\n",
		filepath.Join(dir, "data"), addr, filepath.Join(dir, "htpasswd"))
	os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o644)
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 100; i++ {
		if resp, err := http.Get("http://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return addr
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("registry did not start")
	return ""
}

// TestIntegrationPushWithDockerConfigAuth pushes to a registry that needs a
// password, with the credentials read from a Docker config file.
func TestIntegrationPushWithDockerConfigAuth(t *testing.T) {
	node := integrationNode(t)
	addr := startAuthRegistry(t, "kiln", "pa55word")
	dir := project(t, map[string]string{"Dockerfile": "FROM scratch\nCOPY Dockerfile /\n"})
	cfgDir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("kiln:pa55word"))
	os.WriteFile(filepath.Join(cfgDir, "config.json"), []byte(`{"auths":{"`+addr+`":{"auth":"`+auth+`"}}}`), 0o600)

	push := func(cfgDir string) *Report {
		r, err := Translate("img", target(t, `{"tags":["`+addr+`/kiln/auth:1"],"output":[{"type":"registry"}]}`), Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		cf, err := config.Load(cfgDir)
		if err != nil {
			t.Fatal(err)
		}
		ap := authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{AuthConfigProvider: authprovider.LoadAuthConfig(cf)})
		rep, err := Run(context.Background(), node, []*Request{r}, RunOptions{Progress: "quiet", Auth: ap})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if o := push(t.TempDir()).Outcomes[0]; o.Status != Failed {
		t.Fatalf("push without credentials: %s %v", o.Status, o.Err)
	}
	rep := push(cfgDir)
	mustSucceed(t, rep)
	req, _ := http.NewRequest(http.MethodHead, "http://"+addr+"/v2/kiln/auth/manifests/1", nil)
	req.SetBasicAuth("kiln", "pa55word")
	req.Header.Set("Accept", "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Docker-Content-Digest") != rep.Outcomes[0].Response["containerimage.digest"] {
		t.Errorf("registry: %s %s, metadata %s", resp.Status, resp.Header.Get("Docker-Content-Digest"), rep.Outcomes[0].Response["containerimage.digest"])
	}
}
