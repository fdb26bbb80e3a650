package solve_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/cli/cli/config"
	"github.com/kiln-build/kiln/builder/report"
	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
	"github.com/kiln-build/kiln/builder/solve"
	"github.com/kiln-build/kiln/internal/testenv"
	"github.com/moby/buildkit/session/auth/authprovider"
)

// TestIntegrationPushWithDockerConfigAuth pushes to a registry that needs a
// password, with the credentials read from a Docker config file.
func TestIntegrationPushWithDockerConfigAuth(t *testing.T) {
	node := integrationNode(t)
	addr := testenv.StartRegistry(t, testenv.WithHtpasswd("kiln", "pa55word"))
	dir := project(t, map[string]string{"Dockerfile": "FROM scratch\nCOPY Dockerfile /\n"})
	cfgDir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("kiln:pa55word"))
	os.WriteFile(filepath.Join(cfgDir, "config.json"), []byte(`{"auths":{"`+addr+`":{"auth":"`+auth+`"}}}`), 0o600)

	push := func(cfgDir string) *report.Report {
		r, err := request.Translate("img", solve.DecodeTarget(t, `{"tags":["`+addr+`/kiln/auth:1"],"output":[{"type":"registry"}]}`), request.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		cf, err := config.Load(cfgDir)
		if err != nil {
			t.Fatal(err)
		}
		ap := authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{AuthConfigProvider: authprovider.LoadAuthConfig(cf)})
		rep, err := run(context.Background(), node, []*request.Request{r}, runOptions{Env: solve.Env{Auth: ap}})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if o := push(t.TempDir()).Outcomes[0]; o.Status != schedule.Failed {
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
