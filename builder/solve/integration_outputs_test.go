package solve_test

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
	"github.com/kiln-build/kiln/internal/testenv"
)

const outputsDockerfile = baseStage + `
FROM base AS work
RUN mkdir /out && uname -m > /out/arch && echo hello > /out/hello
FROM scratch
COPY --from=work /out/ /
`

func TestIntegrationOutputs(t *testing.T) {
	dir := project(t, map[string]string{"Dockerfile": outputsDockerfile})
	rep := build(t, dir, plan(t, `{"target":{
		"local": {"platforms":["linux/amd64"], "output":[{"type":"local","dest":"out/local"}]},
		"multi": {"platforms":["linux/amd64","linux/arm64"], "output":[{"type":"local","dest":"out/multi"}]},
		"tarball": {"platforms":["linux/amd64"], "output":[{"type":"tar","dest":"out/x.tar"}]},
		"oci": {"platforms":["linux/amd64","linux/arm64"], "tags":["kiln.test/oci:1"], "annotations":["index:org.kiln.test=yes"], "output":[{"type":"oci","dest":"out/oci","tar":"false"}]}
	}}`), schedule.Execution{Mode: schedule.FailFast})
	mustSucceed(t, rep)

	if got := testenv.ReadFile(t, filepath.Join(dir, "out/local/hello")); got != "hello\n" {
		t.Errorf("local hello = %q", got)
	}
	for plat, arch := range map[string]string{"linux_amd64": "x86_64", "linux_arm64": "aarch64"} {
		if got := testenv.ReadFile(t, filepath.Join(dir, "out/multi", plat, "arch")); strings.TrimSpace(got) != arch {
			t.Errorf("%s arch = %q, want %s", plat, got, arch)
		}
	}
	if names := tarNames(t, filepath.Join(dir, "out/x.tar")); !slices.Contains(names, "hello") {
		t.Errorf("tar entries %v lack hello", names)
	}

	// The OCI layout holds one index naming both platforms.
	var layout struct {
		Manifests []struct {
			MediaType   string            `json:"mediaType"`
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	decode(t, filepath.Join(dir, "out/oci/index.json"), &layout)
	if len(layout.Manifests) != 1 || layout.Manifests[0].MediaType != "application/vnd.oci.image.index.v1+json" {
		t.Fatalf("oci index.json: %+v", layout)
	}
	var index struct {
		Manifests []struct {
			Platform struct{ OS, Architecture string } `json:"platform"`
		} `json:"manifests"`
		Annotations map[string]string `json:"annotations"`
	}
	decode(t, blob(dir, "out/oci", layout.Manifests[0].Digest), &index)
	if index.Annotations["org.kiln.test"] != "yes" {
		t.Errorf("index annotations %v", index.Annotations)
	}
	var plats []string
	for _, m := range index.Manifests {
		if m.Platform.OS == "linux" {
			plats = append(plats, m.Platform.Architecture)
		}
	}
	slices.Sort(plats)
	if !slices.Equal(plats, []string{"amd64", "arm64"}) {
		t.Errorf("image index platforms %v", plats)
	}
	if d := outcome(t, rep, "oci").Response["containerimage.digest"]; d != layout.Manifests[0].Digest {
		t.Errorf("containerimage.digest %q, layout says %q", d, layout.Manifests[0].Digest)
	}
}

func TestIntegrationDockerignoreAndInline(t *testing.T) {
	dir := project(t, map[string]string{
		"ctx/keep.txt":                    "keep",
		"ctx/secret.key":                  "ignored by .dockerignore",
		"ctx/only-main.txt":               "ignored by app.Dockerfile.dockerignore",
		"ctx/.dockerignore":               "*.key\n",
		"ctx/app.Dockerfile":              "FROM scratch\nCOPY . /\n",
		"ctx/app.Dockerfile.dockerignore": "*.key\nonly-main.txt\n",
	})
	rep := build(t, dir, plan(t, `{"target":{
		"main": {"context":"ctx","dockerfile-inline":"FROM scratch\nCOPY . /\n","output":[{"type":"local","dest":"out/main"}]},
		"app": {"context":"ctx","dockerfile":"app.Dockerfile","output":[{"type":"local","dest":"out/app"}]}
	}}`), schedule.Execution{Mode: schedule.FailFast})
	mustSucceed(t, rep)
	if got := testenv.ListDir(t, filepath.Join(dir, "out/main")); !slices.Equal(got, []string{".dockerignore", "app.Dockerfile", "app.Dockerfile.dockerignore", "keep.txt", "only-main.txt"}) {
		t.Errorf("main sees %v", got)
	}
	if got := testenv.ListDir(t, filepath.Join(dir, "out/app")); slices.Contains(got, "only-main.txt") || slices.Contains(got, "secret.key") || !slices.Contains(got, "keep.txt") {
		t.Errorf("app (with its own .dockerignore) sees %v", got)
	}
	// Both targets read ctx under the name "context": one shared session.
	for _, name := range []string{"main", "app"} {
		if rep.Requests[name].Locals["context"] != filepath.Join(dir, "ctx") {
			t.Fatalf("%s context %q", name, rep.Requests[name].Locals["context"])
		}
	}
}

func tarNames(t *testing.T, p string) []string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, strings.TrimPrefix(h.Name, "./"))
	}
}

func decode(t *testing.T, p string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(testenv.ReadFile(t, p)), v); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
}

func blob(dir, layout, dgst string) string {
	algo, hex, _ := strings.Cut(dgst, ":")
	return filepath.Join(dir, layout, "blobs", algo, hex)
}

func TestIntegrationOCILayoutContext(t *testing.T) {
	dir := project(t, map[string]string{
		"Dockerfile":     outputsDockerfile,
		"use.Dockerfile": "FROM scratch\nCOPY --from=img /hello /copied\n",
	})
	mustSucceed(t, build(t, dir, plan(t, `{"target":{"img": {"tags":["kiln.test/layout:v1"],"output":[{"type":"oci","dest":"layout","tar":"false"}]}}}`), schedule.Execution{Mode: schedule.FailFast}))
	rep := build(t, dir, plan(t, `{"target":{"use": {"dockerfile":"use.Dockerfile","contexts":{"img":"oci-layout://layout:v1"},"output":[{"type":"local","dest":"out"}]}}}`), schedule.Execution{Mode: schedule.FailFast})
	mustSucceed(t, rep)
	if got := testenv.ReadFile(t, filepath.Join(dir, "out/copied")); got != "hello\n" {
		t.Errorf("copied from the OCI layout context: %q", got)
	}
}

// TestIntegrationOutputsFailedBuildKeepsPrevious builds a tar, a local
// directory and an OCI layout directory, then fails a build to the same
// destinations: every previous output is byte-identical and nothing is left
// beside them; a later build replaces them, keeping what BuildKit keeps when
// it writes into a directory (files it does not send, older layout blobs).
func TestIntegrationOutputsFailedBuildKeepsPrevious(t *testing.T) {
	dir := project(t, map[string]string{"Dockerfile": baseStage + `
FROM base AS work
ARG V
ARG FAIL
RUN mkdir /out && echo $V > /out/v && test "$FAIL" != 1
FROM scratch
COPY --from=work /out/ /
`})
	targets := func(v, fail string) map[string]*request.Target {
		return plan(t, `{"target":{"t": {"platforms":["linux/amd64"], "args":{"V":"`+v+`","FAIL":"`+fail+`"},
			"output":[{"type":"tar","dest":"out/x.tar"},{"type":"local","dest":"out/dir"},{"type":"oci","tar":"false","dest":"out/layout"}]}}}`)
	}
	mustSucceed(t, build(t, dir, targets("one-"+t.Name(), "0"), schedule.Execution{Mode: schedule.FailFast}))
	os.WriteFile(filepath.Join(dir, "out/dir/keep"), []byte("the user's"), 0o644)
	var first struct {
		Manifests []struct{ Digest string } `json:"manifests"`
	}
	decode(t, filepath.Join(dir, "out/layout/index.json"), &first)
	before := treeSums(t, filepath.Join(dir, "out"))

	rep := build(t, dir, targets("two-"+t.Name(), "1"), schedule.Execution{Mode: schedule.FailFast})
	if outcome(t, rep, "t").Status == schedule.Succeeded {
		t.Fatal("the failing build succeeded")
	}
	if after := treeSums(t, filepath.Join(dir, "out")); !maps.Equal(before, after) {
		t.Errorf("a failed build changed the outputs:\nbefore %v\nafter  %v", before, after)
	}

	mustSucceed(t, build(t, dir, targets("three-"+t.Name(), "0"), schedule.Execution{Mode: schedule.FailFast}))
	if got := testenv.ReadFile(t, filepath.Join(dir, "out/dir/v")); got != "three-"+t.Name()+"\n" {
		t.Errorf("local output v = %q", got)
	}
	if got := testenv.ReadFile(t, filepath.Join(dir, "out/dir/keep")); got != "the user's" {
		t.Errorf("a file the build does not send was not kept: %q", got)
	}
	if !slices.Contains(tarNames(t, filepath.Join(dir, "out/x.tar")), "v") {
		t.Errorf("tar output lacks v")
	}
	if len(first.Manifests) != 1 {
		t.Fatalf("first layout index %+v", first)
	}
	if _, err := os.Stat(blob(dir, "out/layout", first.Manifests[0].Digest)); err != nil {
		t.Errorf("the layout lost the first build's blob, which BuildKit keeps: %v", err)
	}
	if got := testenv.ListDir(t, filepath.Join(dir, "out")); !slices.Equal(got, []string{"dir", "layout", "x.tar"}) {
		t.Errorf("out holds %v", got)
	}
}

// treeSums maps every path under root to its mode and content hash.
func treeSums(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		v := fi.Mode().String()
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		rel, _ := filepath.Rel(root, p)
		out[rel] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
