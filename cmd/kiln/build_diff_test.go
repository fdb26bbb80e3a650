package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBuildMatchesBuildx builds one project with buildx v0.38.2 (remote
// driver) and with kiln, both on the same `kiln engine serve` daemon, and
// compares what users consume: --metadata-file keys and provenance, and the
// output and exit status of --call/--check. It needs the buildx binary
// (KILN_TEST_BUILDX, else buildx in PATH or $GOPATH/bin).
func TestBuildMatchesBuildx(t *testing.T) {
	requireIntegration(t)
	buildx := findBuildx()
	if buildx == "" {
		t.Skip("needs buildx v0.38.2 (go install github.com/docker/buildx/cmd/buildx@v0.38.2, or KILN_TEST_BUILDX)")
	}
	engineAddr, _ := serveFreshEngine(t, "")

	// The Docker config both read: proxies buildx turns into build args.
	cfg := t.TempDir()
	writeFiles(t, cfg, map[string]string{"config.json": `{"proxies":{"default":{"httpProxy":"http://proxy.invalid:3128","httpsProxy":"http://proxys.invalid:3128","noProxy":"localhost,127.0.0.1","ftpProxy":"ftp://proxy.invalid"}}}`})
	bx := func(dir string, args ...string) (string, int) {
		cmd := exec.Command(buildx, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+cfg, "BUILDX_NO_DEFAULT_LOAD=1", "BUILDX_BAKE_ENTITLEMENTS_FS=0")
		var out bytes.Buffer
		cmd.Stdout = &out
		cmd.Stderr = os.Stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("buildx: %v", err)
		}
		return out.String(), cmd.ProcessState.ExitCode()
	}
	if out, code := bx("/", "create", "--name", "kilndiff", "--driver", "remote", engineAddr); code != 0 {
		t.Fatalf("buildx create: %s", out)
	}
	// Same Docker config, so the same proxies and buildx's node id (from
	// buildx/.buildNodeID beside it) in the named contexts' shared keys.
	client := &kilnEnv{root: t.TempDir(), builder: engineAddr, env: []string{"DOCKER_CONFIG=" + cfg, "BUILDX_METADATA_WARNINGS=1"}}
	kiln := func(dir string, args ...string) (string, int) {
		cmd := client.command(t.Context(), dir, append([]string{"bake", "--builder", client.builder, "--allow=fs.read=" + demoBaseDir}, args...)...)
		var out bytes.Buffer
		cmd.Stdout = &out
		cmd.Stderr = os.Stderr
		cmd.Run()
		return out.String(), cmd.ProcessState.ExitCode()
	}

	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"Dockerfile":      "FROM base AS build\nARG WHO=world\nRUN echo \"hello $WHO\" > /hello\nFROM scratch\nCOPY --from=build /hello /\n",
		"lint.Dockerfile": "from scratch as Bad\nCOPY Dockerfile /\n",
		// The proxy args reach RUN only through declared ARGs: an image
		// that records them differs when they are missing.
		"proxy.Dockerfile": "FROM base\nARG HTTP_PROXY\nARG NO_PROXY\nARG FTP_PROXY\nARG https_proxy\nARG HTTPS_PROXY\nRUN echo \"$HTTP_PROXY $NO_PROXY $FTP_PROXY $https_proxy $HTTPS_PROXY\" > /proxies\n",
		"local.Dockerfile": "FROM scratch\nCOPY --from=lib / /lib/\n",
		"lib/data.txt":     "named local context\n",
		"gw.hcl":           "target \"gw\" {\n  extra-hosts = { gw = \"host-gateway\" }\n  output = [\"type=cacheonly\"]\n}\n",
		"docker-bake.hcl": baseTarget(t, "linux/amd64", "linux/arm64") + `
target "app" {
  contexts  = { base = "target:base" }
  platforms = ["linux/amd64", "linux/arm64"]
  args      = { WHO = "kiln" }
  output    = ["type=oci,dest=out/app.tar"]
}
target "plain" {
  dockerfile = "lint.Dockerfile"
  tags       = ["kiln.test/plain:1"]
  output     = ["type=oci,dest=out/plain.tar"]
}
target "proxied" {
  contexts   = { base = "target:base" }
  dockerfile = "proxy.Dockerfile"
  args       = { https_proxy = "http://mine.invalid" }
  output     = ["type=oci,dest=out/proxied.tar"]
}
target "withlocal" {
  contexts   = { lib = "./lib" }
  dockerfile = "local.Dockerfile"
  output     = ["type=oci,dest=out/withlocal.tar"]
}
group "default" {
  targets = ["app", "plain", "proxied", "withlocal"]
}
`,
	})

	// Metadata: same keys per target, same provenance but for session ids.
	// BUILDX_METADATA_WARNINGS: the lint warnings of "plain" as
	// buildx.build.warnings.
	t.Setenv("BUILDX_METADATA_WARNINGS", "1")
	if _, code := bx(dir, "--builder", "kilndiff", "bake", "--progress=quiet", "--metadata-file", "bx.json"); code != 0 {
		t.Fatalf("buildx bake failed")
	}
	if out, code := kiln(dir, "--progress=quiet", "--metadata-file", "kiln.json"); code != 0 {
		t.Fatalf("kiln bake failed: %s", out)
	}
	bm, bw := readMetadata(t, filepath.Join(dir, "bx.json"))
	km, kw := readMetadata(t, filepath.Join(dir, "kiln.json"))
	if len(bw) == 0 || !slices.Equal(bw, kw) {
		t.Errorf("buildx.build.warnings: buildx %q, kiln %q", bw, kw)
	}
	if len(bm) == 0 || !slices.Equal(keys(bm), keys(km)) {
		t.Fatalf("targets in metadata: buildx %v, kiln %v", keys(bm), keys(km))
	}
	for name := range bm {
		if !slices.Equal(keys(bm[name]), keys(km[name])) {
			t.Errorf("%s: metadata keys buildx %v, kiln %v", name, keys(bm[name]), keys(km[name]))
		}
		for k := range bm[name] {
			if strings.HasPrefix(k, "buildx.build.provenance") {
				if a, b := provenanceParams(t, bm[name][k]), provenanceParams(t, km[name][k]); a != b {
					t.Errorf("%s %s differs:\nbuildx %s\nkiln   %s", name, k, a, b)
				}
			}
		}
	}

	// Reproducible builds (SOURCE_DATE_EPOCH, no attestations): the same
	// solve gives the same image digests.
	t.Setenv("SOURCE_DATE_EPOCH", "0")
	t.Setenv("BUILDX_NO_DEFAULT_ATTESTATIONS", "1")
	if _, code := bx(dir, "--builder", "kilndiff", "bake", "--progress=quiet", "--metadata-file", "bx2.json"); code != 0 {
		t.Fatalf("buildx bake failed")
	}
	client.env = append(client.env, "SOURCE_DATE_EPOCH=0", "BUILDX_NO_DEFAULT_ATTESTATIONS=1")
	if out, code := kiln(dir, "--progress=quiet", "--metadata-file", "kiln2.json"); code != 0 {
		t.Fatalf("kiln bake failed: %s", out)
	}
	bd, _ := readMetadata(t, filepath.Join(dir, "bx2.json"))
	kd, _ := readMetadata(t, filepath.Join(dir, "kiln2.json"))
	for _, name := range []string{"app", "plain", "proxied", "withlocal"} {
		b, k := string(bd[name]["containerimage.digest"]), string(kd[name]["containerimage.digest"])
		if b == "" || b != k {
			t.Errorf("%s: image digest buildx %v, kiln %v", name, b, k)
		}
	}

	// host-gateway: neither buildx's remote driver nor kiln's daemon
	// publishes a host-gateway IP, so both refuse before building.
	_, bcode := bx(dir, "--builder", "kilndiff", "bake", "--progress=quiet", "-f", "gw.hcl")
	kout, kcode := kiln(dir, "--progress=quiet", "-f", "gw.hcl")
	if bcode == 0 || kcode == 0 {
		t.Errorf("host-gateway on a remote daemon: buildx exit %d, kiln exit %d %s", bcode, kcode, kout)
	}

	// --call and --check: same output, same exit status.
	for _, call := range []string{"check", "outline", "targets", "outline,format=json", "check,format=json"} {
		for _, target := range []string{"plain", "base"} {
			bout, bcode := bx(dir, "--builder", "kilndiff", "bake", "--progress=quiet", "--call", call, target)
			kout, kcode := kiln(dir, "--progress=quiet", "--call", call, target)
			if strings.Contains(call, "json") {
				bout, kout = withoutSources(t, bout), withoutSources(t, kout)
			}
			if bout != kout || bcode != kcode {
				t.Errorf("--call %s %s: buildx exit %d, kiln exit %d\nbuildx:\n%s\nkiln:\n%s", call, target, bcode, kcode, bout, kout)
			}
		}
	}
}

// readMetadata reads a metadata file: the per-target entries and the
// short texts of buildx.build.warnings.
func readMetadata(t *testing.T, p string) (map[string]map[string]json.RawMessage, []string) {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(readFile(t, p)), &top); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	var warns []struct{ Short []byte }
	if raw, ok := top["buildx.build.warnings"]; ok {
		if err := json.Unmarshal(raw, &warns); err != nil {
			t.Fatalf("%s: buildx.build.warnings: %v", p, err)
		}
		delete(top, "buildx.build.warnings")
	}
	var shorts []string
	for _, w := range warns {
		shorts = append(shorts, string(w.Short))
	}
	out := map[string]map[string]json.RawMessage{}
	for k, raw := range top {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %s: %v", p, k, err)
		}
		out[k] = m
	}
	return out, shorts
}

func findBuildx() string {
	if p := os.Getenv("KILN_TEST_BUILDX"); p != "" {
		return p
	}
	if p, err := exec.LookPath("buildx"); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "buildx")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// provenanceParams is the provenance's invocation parameters without the
// session ids, which differ from run to run.
func provenanceParams(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var p struct {
		Invocation struct {
			Parameters map[string]any `json:"parameters"`
		} `json:"invocation"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	params := p.Invocation.Parameters
	delete(params, "locals")
	scrub(params)
	b, _ := json.Marshal(params)
	return string(b)
}

func scrub(v any) {
	switch m := v.(type) {
	case map[string]any:
		for k, x := range m {
			if strings.HasPrefix(k, "local-sessionid:") {
				delete(m, k)
				continue
			}
			scrub(x)
		}
	case []any:
		for _, x := range m {
			scrub(x)
		}
	}
}

// withoutSources drops the "sources" of a JSON lint report: the LLB
// definitions there embed session ids.
func withoutSources(t *testing.T, s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	var drop func(any)
	drop = func(v any) {
		switch m := v.(type) {
		case map[string]any:
			delete(m, "sources")
			for _, x := range m {
				drop(x)
			}
		case []any:
			for _, x := range m {
				drop(x)
			}
		}
	}
	drop(v)
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
