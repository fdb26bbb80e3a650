package main

// One solve, several exporters: BuildKit runs every exporter of a solve and
// merges their responses into one map, so a push beside an OCI layout could
// leave the layout, or the metadata file, describing another image than the
// one pushed. This test builds such a target on one node and checks that all
// outputs describe the same image, and that buildx on a kiln engine makes the
// same.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// TestIntegrationPushWithOCIOutputs builds one two-platform target with a
// push, an OCI tar, an OCI directory and a local directory in the same solve
// and checks: the digest the registry gives the tag is the image index that
// both layouts' index.json name and the metadata file's
// containerimage.digest; every blob the layouts reference is there with the
// right digest and size; the local directory holds both platforms' trees.
// buildx v0.38.2 on `kiln engine serve` builds the same file and must pass
// the same checks, with the same index.json descriptors and, where the build
// is reproducible, the same per-platform manifests.
//
// Kiln passed when the test was written (so did buildx): every exporter of
// the solve wrote the same image, so the merged responses agree. It stays as
// a regression test.
func TestIntegrationPushWithOCIOutputs(t *testing.T) {
	reg := testRegistry(t)
	e := freshEngine(t)
	buildx := findBuildx()
	var bxAddr, bxCfg string
	if buildx != "" {
		bxAddr, _ = serveFreshEngine(t, "")
		bxCfg = t.TempDir()
	}
	for _, c := range []struct {
		name string
		// env is the environment of both builds.
		env []string
		// dockerfile writes /file holding $NONCE and a newline.
		dockerfile, attest string
		// push is the pushing output, type=registry or its long form.
		push string
		// reproducible: the two builds' images must be equal. With
		// SOURCE_DATE_EPOCH the image configs, so the manifests, are the
		// same; the provenance attestations still differ (they record
		// each build's times and references), so the top-level indexes
		// cannot be equal, only their per-platform manifests.
		reproducible bool
	}{
		{"reproducible", []string{"SOURCE_DATE_EPOCH=0"},
			`FROM scratch\nARG NONCE\nCOPY file /\nLABEL nonce=$NONCE\n`, "", "type=registry", true},
		// Timestamps of now, a RUN layer and a max provenance: what could
		// differ between exporters if each made its own image.
		{"RUN and provenance max", nil,
			`FROM base\nARG NONCE\nRUN echo $NONCE > /file\n`, "type=provenance,mode=max", "type=image,push=true", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := nonce()
			repo := "kiln-it/pushoci-" + n
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{
				"file": n + "\n",
				"docker-bake.hcl": baseTarget(t, bothPlatforms...) + fmt.Sprintf(`
variable "OUT" { default = "out" }
variable "TAG" { default = "kiln" }
target "app" {
  dockerfile-inline = "%s"
  contexts  = { base = "target:base" }
  args      = { NONCE = %q }
  platforms = %s
  attest    = %s
  tags      = ["%s/%s:${TAG}"]
  output    = ["%s", "type=oci,dest=${OUT}/out.tar", "type=oci,tar=false,dest=${OUT}/outdir", "type=local,dest=${OUT}/loc"]
}
`, c.dockerfile, n, hclList(bothPlatforms), hclList(strings.Fields(c.attest)), reg.Addr, repo, c.push),
			})
			rr := registryRepo{reg, repo}

			kMeta := filepath.Join(dir, "kiln-metadata.json")
			e.with(c.env...).bake(t, dir, "--metadata-file", kMeta, "app").mustSucceed(t)
			kiln := checkPushOCI(t, "kiln", rr, filepath.Join(dir, "out"), "kiln", kMeta, n, c.reproducible)

			if buildx == "" {
				t.Skip("buildx not installed (go install github.com/docker/buildx/cmd/buildx@v0.38.2)")
			}
			runBuildx := func(args ...string) {
				t.Helper()
				cmd := exec.Command(buildx, args...)
				cmd.Dir = dir
				cmd.Env = append(append(os.Environ(), c.env...), "BUILDX_CONFIG="+bxCfg, "OUT=bx", "TAG=buildx")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("buildx %s: %v\n%s", strings.Join(args, " "), err, tail(string(out), 40))
				}
			}
			if _, err := os.Stat(filepath.Join(bxCfg, "instances", "kiln")); err != nil {
				runBuildx("create", "--name", "kiln", "--driver", "remote", bxAddr)
			}
			bMeta := filepath.Join(dir, "buildx-metadata.json")
			runBuildx("bake", "--builder", "kiln", "--progress=plain", "--allow=fs.read="+demoBaseDir, "--metadata-file", bMeta, "app")
			bx := checkPushOCI(t, "buildx", rr, filepath.Join(dir, "bx"), "buildx", bMeta, n, c.reproducible)

			if c.reproducible && !reflect.DeepEqual(bx.images, kiln.images) {
				t.Errorf("per-platform manifests differ\nbuildx: %v\nkiln:   %v", bx.images, kiln.images)
			}
			if !reflect.DeepEqual(bx.layoutShape, kiln.layoutShape) {
				t.Errorf("index.json descriptors differ\nbuildx: %v\nkiln:   %v", bx.layoutShape, kiln.layoutShape)
			}
			if !reflect.DeepEqual(metadataKeys(t, bMeta), metadataKeys(t, kMeta)) {
				t.Errorf("metadata keys differ\nbuildx: %v\nkiln:   %v", metadataKeys(t, bMeta), metadataKeys(t, kMeta))
			}
		})
	}
}

// pushOCIResult is what one build's outputs must share with another's.
type pushOCIResult struct {
	// images maps each platform to its manifest's descriptor
	// ("mediaType digest size").
	images map[string]string
	// layoutShape is index.json's descriptors without their digests and
	// sizes (the index holds the attestations): media type and annotations.
	layoutShape []string
}

// checkPushOCI checks one build's outputs (under out) against each other
// and the registry's tag, and returns what the other build must share.
func checkPushOCI(t *testing.T, who string, rr registryRepo, out, tag, meta, n string, reproducible bool) pushOCIResult {
	t.Helper()
	_, pushed := rr.images(t, tag)
	if pushed == "" {
		t.Fatalf("%s: the registry gives no digest for the tag %s", who, tag)
	}
	top, err := rr.manifest(pushed)
	if err != nil {
		t.Fatal(err)
	}
	res := pushOCIResult{images: platformManifests(t, who+": pushed", top)}
	if len(res.images) != len(bothPlatforms) {
		t.Errorf("%s: pushed index has images %v, want %v", who, res.images, bothPlatforms)
	}

	var first *descriptor
	for _, l := range []struct {
		name   string
		layout *ociLayout
	}{
		{"out.tar", readOCITar(t, filepath.Join(out, "out.tar"))},
		{"outdir", readOCIDir(t, filepath.Join(out, "outdir"))},
	} {
		what := who + ": " + l.name
		var idx manifestOrIndex
		if err := json.Unmarshal(l.layout.files["index.json"], &idx); err != nil {
			t.Fatalf("%s: index.json: %v", what, err)
		}
		if len(idx.Manifests) != 1 {
			t.Fatalf("%s: index.json has %d descriptors, want 1: %+v", what, len(idx.Manifests), idx.Manifests)
		}
		d := idx.Manifests[0]
		if d.Digest != pushed {
			t.Errorf("%s: index.json names %s, the registry's tag is %s", what, d.Digest, pushed)
		}
		mustHaveBlobs(t, what, l.layout, d)
		b, err := l.layout.blob(d.Digest)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !reflect.DeepEqual(platformManifests(t, what, b), res.images) {
			t.Errorf("%s: per-platform manifests %v, pushed %v", what, platformManifests(t, what, b), res.images)
		}
		if first == nil {
			first = &d
		} else if !reflect.DeepEqual(d, *first) {
			t.Errorf("%s: index.json descriptor %+v, out.tar's %+v", what, d, *first)
		}
	}
	// What the other build's index.json must share: the tag differs on
	// purpose, the creation time when the builds are not reproducible.
	res.layoutShape = []string{first.MediaType}
	for k, v := range first.Annotations {
		if k == "org.opencontainers.image.created" && !reproducible {
			v = "<the build's time>"
		}
		if strings.HasSuffix(v, tag) {
			v = strings.TrimSuffix(v, tag) + "TAG"
		}
		res.layoutShape = append(res.layoutShape, k+"="+v)
	}
	sort.Strings(res.layoutShape[1:])

	var md map[string]map[string]any
	if err := json.Unmarshal([]byte(readFile(t, meta)), &md); err != nil {
		t.Fatalf("%s: metadata: %v", who, err)
	}
	if got := md["app"]["containerimage.digest"]; got != pushed {
		t.Errorf("%s: metadata containerimage.digest = %v, the registry's tag is %s", who, got, pushed)
	}
	if desc, _ := md["app"]["containerimage.descriptor"].(map[string]any); desc["digest"] != pushed {
		t.Errorf("%s: metadata containerimage.descriptor = %v, the registry's tag is %s", who, desc, pushed)
	}

	for _, p := range bothPlatforms {
		f := filepath.Join(out, "loc", strings.ReplaceAll(p, "/", "_"), "file")
		if got := readFile(t, f); got != n+"\n" {
			t.Errorf("%s: %s = %q, want %q", who, f, got, n+"\n")
		}
	}
	t.Logf("%s: pushed %s, images %v, index.json %v", who, pushed, res.images, res.layoutShape)
	return res
}

// platformManifests maps each platform entry of an image index (not the
// attestation manifests) to its descriptor.
func platformManifests(t *testing.T, what string, index []byte) map[string]string {
	t.Helper()
	var idx manifestOrIndex
	if err := json.Unmarshal(index, &idx); err != nil || !idx.isIndex() {
		t.Fatalf("%s: not an image index (%v): %s", what, err, index)
	}
	out := map[string]string{}
	for _, d := range idx.Manifests {
		if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
			continue
		}
		if d.Platform == nil {
			t.Fatalf("%s: index entry %s has no platform", what, d.Digest)
		}
		out[d.Platform.OS+"/"+d.Platform.Architecture] = d.MediaType + " " + d.Digest + " " + fmt.Sprint(d.Size)
	}
	return out
}

// mustHaveBlobs checks that the blob d describes, and every blob it
// references down to the layers, is in the layout with d's digest and size.
func mustHaveBlobs(t *testing.T, what string, l *ociLayout, d descriptor) {
	t.Helper()
	b, err := l.blob(d.Digest)
	if err != nil {
		t.Errorf("%s: %v (a %s)", what, err, d.MediaType)
		return
	}
	sum := sha256.Sum256(b)
	if got := "sha256:" + hex.EncodeToString(sum[:]); got != d.Digest || int64(len(b)) != d.Size {
		t.Errorf("%s: blob %s (size %d) holds %s, %d bytes", what, d.Digest, d.Size, got, len(b))
		return
	}
	if !strings.Contains(d.MediaType, "manifest") && !strings.Contains(d.MediaType, "index") {
		return
	}
	var m manifestOrIndex
	if err := json.Unmarshal(b, &m); err != nil {
		t.Errorf("%s: %s: %v", what, d.Digest, err)
		return
	}
	for _, c := range m.Manifests {
		mustHaveBlobs(t, what, l, c)
	}
	if !m.isIndex() {
		mustHaveBlobs(t, what, l, m.Config)
		for _, c := range m.Layers {
			mustHaveBlobs(t, what, l, c)
		}
	}
}
