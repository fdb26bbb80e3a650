package solve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/builder/report"
	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
	"github.com/kiln-build/kiln/builder/solve"
	"github.com/kiln-build/kiln/internal/testenv"
)

func TestIntegrationPush(t *testing.T) {
	addr := testenv.StartRegistry(t)
	dir := project(t, map[string]string{"Dockerfile": outputsDockerfile})
	rep := build(t, dir, plan(t, `{"target":{"img": {
		"platforms":["linux/amd64","linux/arm64"],
		"tags":["`+addr+`/kiln/img:1","`+addr+`/kiln/img:latest"],
		"output":[{"type":"registry"}]}}}`), schedule.Execution{Mode: schedule.FailFast})
	mustSucceed(t, rep)
	got := outcome(t, rep, "img").Response["containerimage.digest"]
	for _, tag := range []string{"1", "latest"} {
		if d := testenv.ManifestDigest(t, addr, "kiln/img", tag); d == "" || d != got {
			t.Errorf("registry has %s for tag %s, metadata says %s", d, tag, got)
		}
	}
	var md bytes.Buffer
	if err := report.WriteMetadata(&md, rep); err != nil {
		t.Fatal(err)
	}
	var m map[string]map[string]json.RawMessage
	if err := json.Unmarshal(md.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"containerimage.digest", "containerimage.descriptor", "image.name", "buildx.build.ref"} {
		if _, ok := m["img"][k]; !ok {
			t.Errorf("metadata lacks %s: %s", k, md.String())
		}
	}
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		var prov struct {
			BuildType string         `json:"buildType"`
			Builder   map[string]any `json:"builder"`
		}
		if err := json.Unmarshal(m["img"]["buildx.build.provenance/"+p], &prov); err != nil || prov.BuildType == "" {
			t.Errorf("buildx.build.provenance/%s: %v %s", p, err, m["img"]["buildx.build.provenance/"+p])
		}
	}
	var desc struct{ MediaType, Digest string }
	json.Unmarshal(m["img"]["containerimage.descriptor"], &desc)
	if desc.Digest != got || !strings.Contains(desc.MediaType, "index") {
		t.Errorf("containerimage.descriptor %+v", desc)
	}

	// The pushed image serves as a docker-image:// context, pulled from the registry.
	use := project(t, map[string]string{"Dockerfile": "FROM scratch\nCOPY --from=img /hello /from-registry\n"})
	rep = build(t, use, plan(t, `{"target":{"use": {"platforms":["linux/arm64"],
		"contexts":{"img":"docker-image://`+addr+`/kiln/img:1"},"output":[{"type":"local","dest":"out"}]}}}`), schedule.Execution{Mode: schedule.FailFast})
	mustSucceed(t, rep)
	if got := testenv.ReadFile(t, filepath.Join(use, "out/from-registry")); got != "hello\n" {
		t.Errorf("file from the docker-image context = %q", got)
	}
}

func TestIntegrationCacheExport(t *testing.T) {
	dir := project(t, map[string]string{"Dockerfile": outputsDockerfile})
	rep := build(t, dir, plan(t, `{"target":{"c": {
		"cache-to":[{"type":"local","dest":"cache","mode":"max"}],
		"output":[{"type":"cacheonly"}]}}}`), schedule.Execution{Mode: schedule.FailFast})
	mustSucceed(t, rep)
	var index struct {
		Manifests []struct{ Digest string } `json:"manifests"`
	}
	if err := json.Unmarshal([]byte(testenv.ReadFile(t, filepath.Join(dir, "cache/index.json"))), &index); err != nil || len(index.Manifests) == 0 {
		t.Fatalf("local cache export index: %v %+v", err, index)
	}
	if _, err := os.Stat(blob(dir, "cache", index.Manifests[0].Digest)); err != nil {
		t.Errorf("cache manifest blob missing: %v", err)
	}
	// A second build imports it (cache-from) without error.
	rep = build(t, dir, plan(t, `{"target":{"c": {"cache-from":[{"type":"local","src":"cache"}],"output":[{"type":"cacheonly"}]}}}`), schedule.Execution{Mode: schedule.FailFast})
	mustSucceed(t, rep)
}

func TestIntegrationDeferOutputPushesNothing(t *testing.T) {
	testFailedBuildPushesNothing(t, schedule.DeferOutput)
}

// Under fail-fast (the default) too: pushes wait for every target to solve.
func TestIntegrationFailFastPushesNothing(t *testing.T) {
	testFailedBuildPushesNothing(t, schedule.FailFast)
}

func testFailedBuildPushesNothing(t *testing.T, mode string) {
	addr := testenv.StartRegistry(t)
	dir := project(t, map[string]string{
		"Dockerfile":     outputsDockerfile,
		"bad.Dockerfile": baseStage + "FROM base\nRUN sleep 1 && exit 5\n",
	})
	rep := build(t, dir, plan(t, `{"target":{
		"good": {"tags":["`+addr+`/kiln/good:1"],"output":[{"type":"registry"}]},
		"bad": {"dockerfile":"bad.Dockerfile","tags":["`+addr+`/kiln/bad:1"],"output":[{"type":"registry"}]}
	}}`), schedule.Execution{Mode: mode})
	if o := outcome(t, rep, "bad"); o.Status != schedule.Failed {
		t.Fatalf("bad: %s %v", o.Status, o.Err)
	}
	if o := outcome(t, rep, "good"); o.Status == schedule.Succeeded {
		t.Errorf("good reported as succeeded under %s although bad failed", mode)
	}
	if d := testenv.ManifestDigest(t, addr, "kiln/good", "1"); d != "" {
		t.Errorf("good was pushed (%s) although another target failed under %s", d, mode)
	}
}

func TestIntegrationLoadWithoutDocker(t *testing.T) {
	node := integrationNode(t)
	dir := project(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	r, err := request.Translate("img", solve.DecodeTarget(t, `{"tags":["kiln/x"],"output":[{"type":"docker"}]}`), request.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, err = run(context.Background(), node, []*request.Request{r}, runOptions{Env: solve.Env{DockerHost: "unix://" + filepath.Join(dir, "no-docker.sock")}})
	if err == nil || !strings.Contains(err.Error(), "Docker engine") || !strings.Contains(err.Error(), "DOCKER_HOST") {
		t.Fatalf("err = %v, want a clear no-Docker error", err)
	}
}

// TestIntegrationLoad needs a Docker engine: KILN_TEST_DOCKER_HOST (or
// DOCKER_HOST) naming a running dockerd, e.g. Debian's docker.io 20.10.
func TestIntegrationLoad(t *testing.T) {
	host := os.Getenv("KILN_TEST_DOCKER_HOST")
	if host == "" {
		host = os.Getenv("DOCKER_HOST")
	}
	if host == "" {
		host = solve.DefaultDockerHost
	}
	if resp, err := solve.DockerGet(host, "/_ping"); err != nil {
		t.Skip("integration: no Docker engine at " + host + " (set KILN_TEST_DOCKER_HOST)")
	} else {
		resp.Body.Close()
	}
	dir := project(t, map[string]string{"Dockerfile": outputsDockerfile})
	tag := fmt.Sprintf("kiln-load-test:%d", time.Now().UnixNano())
	node := integrationNode(t)
	r, err := request.Translate("img", plan(t, `{"target":{"img":{"tags":["`+tag+`"],"output":[{"type":"docker"}]}}}`)["img"], request.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := run(context.Background(), node, []*request.Request{r}, runOptions{Env: solve.Env{DockerHost: host}})
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, rep)
	resp, err := solve.DockerGet(host, "/images/"+tag+"/json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("image %s not in the Docker engine after --load: %s", tag, resp.Status)
	}
}
