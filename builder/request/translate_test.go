package request

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/docker/buildx/util/buildflags"
	"github.com/kiln-build/kiln/internal/testenv"
	"github.com/moby/buildkit/client"
)

func ptr[T any](v T) *T { return &v }

// target decodes a bake target from its --print JSON, as a user would write it.
func target(t *testing.T, js string) *Target {
	t.Helper()
	var tg Target
	if err := json.Unmarshal([]byte(js), &tg); err != nil {
		t.Fatalf("decode %s: %v", js, err)
	}
	return &tg
}

func workdir(t *testing.T) string { return testenv.Workdir(t) }

func TestTranslateAttrs(t *testing.T) {
	dir := workdir(t)
	opts := Options{Dir: dir, LookupEnv: func(k string) (string, bool) {
		if k == "BUILDX_NO_DEFAULT_ATTESTATIONS" {
			return "1", true
		}
		return "", false
	}}
	cases := []struct {
		name string
		js   string
		want map[string]string // attributes that must be present, "" value included
		none []string          // attributes that must be absent
	}{
		{"defaults", `{}`, map[string]string{"filename": "Dockerfile"}, []string{"platform", "target", "no-cache", "attest:provenance"}},
		{"args and labels", `{"args":{"A":"1","B":null},"labels":{"org.x":"y"}}`,
			map[string]string{"build-arg:A": "1", "label:org.x": "y"}, []string{"build-arg:B"}},
		{"stage and platforms", `{"target":"final","platforms":["linux/amd64","linux/arm64","linux/amd64"]}`,
			map[string]string{"target": "final", "platform": "linux/amd64,linux/arm64"}, nil},
		{"no-cache wins over filter", `{"no-cache":true,"no-cache-filter":["a"]}`, map[string]string{"no-cache": ""}, nil},
		{"no-cache-filter", `{"no-cache-filter":["a","b"]}`, map[string]string{"no-cache": "a,b"}, nil},
		{"pull", `{"pull":true}`, map[string]string{"image-resolve-mode": "pull"}, nil},
		{"network none", `{"network":"none"}`, map[string]string{"force-network-mode": "none"}, nil},
		{"shm and ulimits", `{"shm-size":"128m","ulimits":["nofile=1024:2048","nproc=3"]}`,
			map[string]string{"shm-size": "134217728", "ulimit": "nofile=1024:2048,nproc=3:3"}, nil},
		{"resources", `{"resources":{"memory":"256m","memory-swap":"-1","cpu-shares":512,"cpu-quota":0,"cpuset-cpus":"0-1"}}`,
			map[string]string{"memory": "268435456", "memswap": "-1", "cpushares": "512", "cpusetcpus": "0-1"}, []string{"cpuquota", "cpuperiod"}},
		{"extra hosts", `{"extra-hosts":{"b.test":"10.0.0.2","a.test":"10.0.0.1,::1"}}`,
			map[string]string{"add-hosts": "a.test=10.0.0.1,a.test=::1,b.test=10.0.0.2"}, nil},
		{"attest", `{"attest":[{"type":"sbom"},{"type":"provenance","mode":"max"}]}`,
			map[string]string{"attest:sbom": "type=sbom", "attest:provenance": "type=provenance,mode=max"}, nil},
		{"syntax arg", `{"args":{"BUILDKIT_SYNTAX":"docker/dockerfile:1 --x"}}`,
			map[string]string{"source": "docker/dockerfile:1", "cmdline": "docker/dockerfile:1 --x"}, nil},
		{"call check", `{"call":"check"}`,
			map[string]string{"requestid": "frontend.lint", "frontend.caps": "moby.buildkit.frontend.subrequests+forward"}, nil},
		{"dockerfile in subdir", `{"context":"app","dockerfile":"sub/Dockerfile.x"}`, map[string]string{"filename": "Dockerfile.x"}, nil},
		{"inline", `{"dockerfile-inline":"FROM scratch"}`, map[string]string{"filename": "Dockerfile", "dockerfilekey": "dockerfile"}, nil},
		{"named contexts", `{"contexts":{"base":"target:base","img":"docker-image://alpine","src":"shared","git":"https://github.com/moby/buildkit.git"}}`,
			map[string]string{"context:base": "target:base", "context:img": "docker-image://alpine", "context:src": "local:src",
				"context:git": "https://github.com/moby/buildkit.git", "frontend.caps": "moby.buildkit.frontend.contexts+forward"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Translate("t", target(t, c.js), opts)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range c.want {
				if got, ok := r.Attrs[k]; !ok || got != v {
					t.Errorf("attr %s = %q (present %v), want %q", k, got, ok, v)
				}
			}
			for _, k := range c.none {
				if v, ok := r.Attrs[k]; ok {
					t.Errorf("attr %s = %q, want absent", k, v)
				}
			}
		})
	}
}

func TestTranslateInputs(t *testing.T) {
	dir := workdir(t)
	r, err := Translate("t", target(t, `{"context":"app","dockerfile":"sub/Dockerfile.x","contexts":{"src":"shared","context":"shared","base":"target:b"}}`), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"context":    filepath.Join(dir, "app"),
		"dockerfile": filepath.Join(dir, "app/sub"),
		"src":        filepath.Join(dir, "shared"),
		"_context":   filepath.Join(dir, "shared"),
	}
	if !reflect.DeepEqual(r.Locals, want) {
		t.Errorf("locals = %v, want %v", r.Locals, want)
	}
	if r.DockerfileSource != "app/sub/Dockerfile.x" {
		t.Errorf("DockerfileSource = %q, want the path as the user wrote it", r.DockerfileSource)
	}
	if r.Attrs["context:context"] != "local:_context" {
		t.Errorf("context:context = %q", r.Attrs["context:context"])
	}
	if !reflect.DeepEqual(r.Deps, map[string]string{"base": "b"}) {
		t.Errorf("deps = %v", r.Deps)
	}
	// An absolute dockerfile stays where it is.
	r, err = Translate("t", target(t, `{"context":"app","dockerfile":"`+filepath.Join(dir, "shared/Build")+`"}`), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if r.Locals["dockerfile"] != filepath.Join(dir, "shared") || r.Attrs["filename"] != "Build" {
		t.Errorf("dockerfile mount %q filename %q", r.Locals["dockerfile"], r.Attrs["filename"])
	}
	// Inline Dockerfiles are served from memory, not from a directory.
	r, err = Translate("t", target(t, `{"context":"app","dockerfile-inline":"FROM scratch\n"}`), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if r.DockerfileInline != "FROM scratch\n" || r.Locals["dockerfile"] != "" || r.DockerfileSource != "inline" {
		t.Errorf("inline %q, dockerfile mount %q", r.DockerfileInline, r.Locals["dockerfile"])
	}
	for _, bad := range []string{`{"context":"missing"}`, `{"contexts":{"x":"missing"}}`, `{"context":"-"}`} {
		if _, err := Translate("t", target(t, bad), Options{Dir: dir}); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestTranslateOCILayoutContext(t *testing.T) {
	dir := t.TempDir()
	const dgst = "sha256:0123456789012345678901234567890123456789012345678901234567890123"
	index := `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + dgst + `","size":1,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}`
	os.MkdirAll(filepath.Join(dir, "layout"), 0o755)
	os.WriteFile(filepath.Join(dir, "layout/index.json"), []byte(index), 0o644)
	r, err := Translate("t", target(t, `{"contexts":{"base":"oci-layout://layout:v1"}}`), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ref := r.Attrs["context:base"]
	if !strings.HasPrefix(ref, "oci-layout://kiln-oci-") || !strings.HasSuffix(ref, ":v1@"+dgst) {
		t.Errorf("context:base = %q", ref)
	}
	if len(r.OCIStores) != 1 {
		t.Fatalf("stores = %v", r.OCIStores)
	}
	for _, p := range r.OCIStores {
		if p != filepath.Join(dir, "layout") {
			t.Errorf("store path %q", p)
		}
	}
}

func TestTranslateOutputs(t *testing.T) {
	dir := workdir(t)
	cases := []struct {
		name    string
		js      string
		want    []Export
		noOut   bool
		wantErr string
	}{
		{"none", `{}`, nil, true, ""},
		{"cacheonly", `{"output":[{"type":"cacheonly"}]}`, nil, false, ""},
		{"local", `{"output":[{"type":"local","dest":"out"}]}`,
			[]Export{{Type: "local", Attrs: map[string]string{}, Dir: filepath.Join(dir, "out")}}, false, ""},
		{"tar to stdout", `{"output":[{"type":"tar"}]}`,
			[]Export{{Type: "tar", Attrs: map[string]string{}, File: "-"}}, false, ""},
		{"oci dir", `{"tags":["r/a:1"],"output":[{"type":"oci","dest":"o","tar":"false"}]}`,
			[]Export{{Type: "oci", Attrs: map[string]string{"tar": "false", "name": "r/a:1"}, Dir: filepath.Join(dir, "o")}}, false, ""},
		{"docker load", `{"tags":["a"],"output":[{"type":"docker"}]}`,
			[]Export{{Type: "docker", Attrs: map[string]string{"name": "a"}, Load: true}}, false, ""},
		{"registry", `{"tags":["localhost:5000/a:1","localhost:5000/a:2"],"annotations":["index:k=v"],"output":[{"type":"registry"}]}`,
			[]Export{{Type: "image", Attrs: map[string]string{"push": "true", "unpack": "false", "name": "localhost:5000/a:1,localhost:5000/a:2", "annotation-index.k": "v"}}}, false, ""},
		{"local without dest", `{"output":[{"type":"local"}]}`, nil, false, "dest is required"},
		{"call drops outputs", `{"call":"outline","output":[{"type":"local","dest":"x"}]}`, nil, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Translate("t", target(t, c.js), Options{Dir: dir})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Exports, c.want) {
				t.Errorf("exports = %+v\nwant      %+v", r.Exports, c.want)
			}
			if r.NoOutput != c.noOut {
				t.Errorf("NoOutput = %v", r.NoOutput)
			}
		})
	}
}

func TestTranslateCacheSecretsSSH(t *testing.T) {
	dir := workdir(t)
	r, err := Translate("t", target(t, `{
		"cache-from":[{"type":"registry","ref":"r/cache"},{"type":"gha"}],
		"cache-to":[{"type":"local","dest":"c","mode":"max"}],
		"args":{"BUILDKIT_INLINE_CACHE":"1"},
		"secret":[{"id":"tok","env":"TOKEN"},{"id":"f","src":"/etc/hostname"}],
		"ssh":[{"id":"default"},{"id":"key","paths":["/root/.ssh/id"]}],
		"network":"host","entitlements":["security.insecure"]}`), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	wantFrom := []client.CacheOptionsEntry{{Type: "registry", Attrs: map[string]string{"ref": "r/cache"}}}
	if !reflect.DeepEqual(r.CacheImports, wantFrom) {
		t.Errorf("cache imports = %v (gha without token must be dropped)", r.CacheImports)
	}
	wantTo := []client.CacheOptionsEntry{{Type: "inline", Attrs: map[string]string{}}, {Type: "local", Attrs: map[string]string{"dest": filepath.Join(dir, "c"), "mode": "max"}}}
	if !reflect.DeepEqual(r.CacheExports, wantTo) {
		t.Errorf("cache exports = %v", r.CacheExports)
	}
	wantSecrets := []*buildflags.Secret{{ID: "tok", Env: "TOKEN"}, {ID: "f", FilePath: "/etc/hostname"}}
	if !reflect.DeepEqual(r.Secrets, wantSecrets) {
		t.Errorf("secrets = %v", r.Secrets)
	}
	if len(r.SSH) != 2 {
		t.Errorf("ssh = %v", r.SSH)
	}
	if !reflect.DeepEqual(r.Entitlements, []string{"security.insecure", "network.host"}) {
		t.Errorf("entitlements = %v", r.Entitlements)
	}
	for k, v := range r.Attrs {
		if strings.Contains(v, "TOKEN") || strings.Contains(k, "secret") {
			t.Errorf("secret leaked into attrs: %s=%s", k, v)
		}
	}
}

func TestTranslateErrorsNameTarget(t *testing.T) {
	_, err := Translate("web", &Target{Platforms: []string{"linux/!!"}}, Options{Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), `target "web"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestTranslateGHACache(t *testing.T) {
	env := map[string]string{"ACTIONS_RUNTIME_TOKEN": "tok", "ACTIONS_CACHE_SERVICE_V2": "true", "ACTIONS_RESULTS_URL": "https://results/"}
	o := Options{Dir: t.TempDir(), LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	r, err := Translate("t", target(t, `{"cache-to":[{"type":"gha","mode":"max"}]}`), o)
	if err != nil {
		t.Fatal(err)
	}
	want := []client.CacheOptionsEntry{{Type: "gha", Attrs: map[string]string{"mode": "max", "token": "tok", "url_v2": "https://results/", "url": "https://results/"}}}
	if !reflect.DeepEqual(r.CacheExports, want) {
		t.Errorf("gha entry %v", r.CacheExports)
	}
}
