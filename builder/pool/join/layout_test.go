package join

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	contentlocal "github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/moby/buildkit/client/ociindex"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The layouts here are written by the test as BuildKit's oci exporter
// writes a single-platform export (blobs, an index.json entry per name,
// the created annotation); cmd/kiln's TestIntegrationJoin checks the same
// against real exports.

type layoutWriter struct {
	t     *testing.T
	dir   string
	store content.Store
}

func newLayout(t *testing.T) *layoutWriter {
	t.Helper()
	dir := t.TempDir()
	s, err := contentlocal.NewStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &layoutWriter{t: t, dir: dir, store: s}
}

func (l *layoutWriter) blob(mediaType string, b []byte) ocispec.Descriptor {
	l.t.Helper()
	d := ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(b), Size: int64(len(b))}
	if err := writeBlob(context.Background(), l.store, d, b); err != nil {
		l.t.Fatal(err)
	}
	return d
}

func (l *layoutWriter) json(mediaType string, v any) ocispec.Descriptor {
	l.t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		l.t.Fatal(err)
	}
	return l.blob(mediaType, b)
}

// image writes an image for platform with a layer shared by every
// platform and one of its own.
func (l *layoutWriter) image(platform ocispec.Platform) ocispec.Descriptor {
	shared := l.blob(ocispec.MediaTypeImageLayerGzip, []byte("shared layer"))
	own := l.blob(ocispec.MediaTypeImageLayerGzip, []byte("layer for "+platform.Architecture))
	cfg := l.json(ocispec.MediaTypeImageConfig, ocispec.Image{Platform: platform})
	m := l.json(ocispec.MediaTypeImageManifest, ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    cfg,
		Layers:    []ocispec.Descriptor{shared, own},
	})
	p := platform
	m.Platform = &p
	return m
}

// attested wraps img in an index with an attestation manifest for it, as
// BuildKit pushes a single platform with provenance.
func (l *layoutWriter) attested(img ocispec.Descriptor) ocispec.Descriptor {
	stmt := l.blob("application/vnd.in-toto+json", []byte(`{"predicateType":"https://slsa.dev/provenance/v0.2","for":"`+img.Digest.String()+`"}`))
	cfg := l.blob(ocispec.MediaTypeImageConfig, []byte("{}"))
	att := l.json(ocispec.MediaTypeImageManifest, ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    cfg,
		Layers:    []ocispec.Descriptor{stmt},
	})
	att.Platform = &ocispec.Platform{OS: "unknown", Architecture: "unknown"}
	att.Annotations = map[string]string{
		"vnd.docker.reference.digest": img.Digest.String(),
		"vnd.docker.reference.type":   "attestation-manifest",
	}
	return l.json(ocispec.MediaTypeImageIndex, ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{img, att},
	})
}

// put writes index.json as BuildKit's client does for an oci export.
func (l *layoutWriter) put(top ocispec.Descriptor, names ...ociindex.NameOrTag) *layoutWriter {
	l.t.Helper()
	top.Annotations = map[string]string{ocispec.AnnotationCreated: "1970-01-01T00:00:00Z"}
	if err := ociindex.NewStoreIndex(l.dir).Put(top, names...); err != nil {
		l.t.Fatal(err)
	}
	return l
}

var (
	amd64 = ocispec.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = ocispec.Platform{OS: "linux", Architecture: "arm64"}
)

func twoParts(t *testing.T, attest bool, names ...ociindex.NameOrTag) ([]Part, []ocispec.Descriptor) {
	var parts []Part
	var imgs []ocispec.Descriptor
	for i, p := range []ocispec.Platform{amd64, arm64} {
		l := newLayout(t)
		img := l.image(p)
		top := img
		if attest {
			top = l.attested(img)
		}
		l.put(top, names...)
		parts = append(parts, Part{Platform: p.OS + "/" + p.Architecture, Node: []string{"a", "b"}[i], Layout: l.dir})
		imgs = append(imgs, img)
	}
	return parts, imgs
}

func readIndexJSON(t *testing.T, dir string) ocispec.Index {
	t.Helper()
	idx, err := ociindex.NewStoreIndex(dir).Read()
	if err != nil {
		t.Fatal(err)
	}
	return *idx
}

func readBlob(t *testing.T, dir string, d digest.Digest) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "blobs", d.Algorithm().String(), d.Encoded()))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func blobNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestLayoutJoinsImagesThenAttestations(t *testing.T) {
	parts, imgs := twoParts(t, true, ociindex.Name("reg.example/app:v1"))
	dir := t.TempDir()
	if err := Layout(parts, dir); err != nil {
		t.Fatal(err)
	}
	top := readIndexJSON(t, dir)
	if len(top.Manifests) != 1 {
		t.Fatalf("index.json: %d entries, want 1", len(top.Manifests))
	}
	e := top.Manifests[0]
	wantAnn := map[string]string{
		ocispec.AnnotationCreated:  "1970-01-01T00:00:00Z",
		"io.containerd.image.name": "reg.example/app:v1",
		ocispec.AnnotationRefName:  "v1",
	}
	if !reflect.DeepEqual(e.Annotations, wantAnn) || e.MediaType != ocispec.MediaTypeImageIndex {
		t.Errorf("index.json entry %+v", e)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(readBlob(t, dir, e.Digest), &idx); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range idx.Manifests {
		got = append(got, m.Platform.Architecture+" "+m.Annotations["vnd.docker.reference.digest"])
	}
	want := []string{"amd64 ", "arm64 ", "unknown " + imgs[0].Digest.String(), "unknown " + imgs[1].Digest.String()}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("joined index lists %q, want %q", got, want)
	}
	// Blobs: each once (the shared layer too), none of the parts' own
	// top-level indexes: 2 images × (manifest, config, own layer) + the
	// shared layer + 2 attestations × (manifest, statement) + their shared
	// empty config + the joined index.
	if n := len(blobNames(t, dir)); n != 2*3+1+2*2+1+1 {
		t.Errorf("%d blobs, want 13: %v", n, blobNames(t, dir))
	}
	for _, p := range parts {
		pt := readIndexJSON(t, p.Layout).Manifests[0]
		if _, err := os.Stat(filepath.Join(dir, "blobs", "sha256", pt.Digest.Encoded())); err == nil {
			t.Errorf("part %s's own index %s was copied", p, pt.Digest)
		}
	}
}

func TestLayoutIsIndexBytes(t *testing.T) {
	// Without attestations the joined index is the one Index pushes and the
	// one BuildKit writes: the descriptors as the parts list them, in order.
	parts, imgs := twoParts(t, false)
	dir := t.TempDir()
	if err := Layout(parts, dir); err != nil {
		t.Fatal(err)
	}
	want, err := json.MarshalIndent(ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: imgs,
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	e := readIndexJSON(t, dir).Manifests[0]
	if e.Digest != digest.FromBytes(want) {
		t.Errorf("joined index:\n%s\nwant\n%s", readBlob(t, dir, e.Digest), want)
	}
	if e.Annotations[ocispec.AnnotationRefName] != "" {
		t.Errorf("no name given, yet the entry is named: %v", e.Annotations)
	}
}

func TestLayoutMergesIndexJSON(t *testing.T) {
	// As BuildKit's client: an entry under another name stays, one under
	// the same name is replaced.
	parts, _ := twoParts(t, false, ociindex.Tag("v1"))
	dir := t.TempDir()
	old := newLayout(t)
	keep := old.image(amd64)
	ociindex.NewStoreIndex(dir).Put(keep, ociindex.Tag("other"))
	ociindex.NewStoreIndex(dir).Put(keep, ociindex.Tag("v1"))
	if err := Layout(parts, dir); err != nil {
		t.Fatal(err)
	}
	byName := map[string]digest.Digest{}
	for _, m := range readIndexJSON(t, dir).Manifests {
		byName[m.Annotations[ocispec.AnnotationRefName]] = m.Digest
	}
	if len(byName) != 2 || byName["other"] != keep.Digest || byName["v1"] == keep.Digest {
		t.Errorf("index.json names %v; want other kept, v1 replaced", byName)
	}
}

func TestLayoutRefusesMismatchedParts(t *testing.T) {
	parts, _ := twoParts(t, true)
	named, _ := twoParts(t, true, ociindex.Name("reg.example/app:v2"))
	for _, c := range []struct {
		name  string
		parts []Part
		want  string
	}{
		{"no parts", nil, "no parts"},
		{"same platform twice", []Part{parts[0], {Platform: "linux/amd64", Node: "b", Layout: parts[1].Layout}}, "both linux/amd64"},
		{"platform not the manifest's", []Part{parts[0], {Platform: "linux/s390x", Node: "b", Layout: parts[1].Layout}}, "linux/s390x@b: index"},
		{"names differ", []Part{parts[0], named[1]}, "names its image"},
		{"no layout", []Part{parts[0], {Platform: "linux/arm64", Node: "b"}}, "linux/arm64@b: no OCI layout"},
		{"not a layout", []Part{parts[0], {Platform: "linux/arm64", Node: "b", Layout: t.TempDir()}}, "linux/arm64@b"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			err := Layout(c.parts, dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("a refused join created %s", dir)
			}
		})
	}
}

func TestOCITarHoldsTheLayout(t *testing.T) {
	parts, _ := twoParts(t, true, ociindex.Name("reg.example/app:v1"))
	dir := t.TempDir()
	if err := Layout(parts, dir); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := OCITar(dir, &buf); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		if h.Typeflag == tar.TypeReg {
			files[h.Name] = b
		}
	}
	if _, ok := files["manifest.json"]; ok {
		t.Error("an oci tarball has a Docker manifest.json")
	}
	for _, name := range blobNames(t, dir) {
		if !bytes.Equal(files["blobs/sha256/"+name], readBlob(t, dir, digest.NewDigestFromEncoded(digest.SHA256, name))) {
			t.Errorf("blob %s missing or different in the tarball", name)
		}
	}
	var idx ocispec.Index
	if err := json.Unmarshal(files["index.json"], &idx); err != nil {
		t.Fatal(err)
	}
	dirTop := readIndexJSON(t, dir).Manifests[0]
	if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != dirTop.Digest || idx.Manifests[0].Annotations["io.containerd.image.name"] != "reg.example/app:v1" {
		t.Errorf("tarball index.json %s", files["index.json"])
	}
}

func TestDockerTar(t *testing.T) {
	parts, _ := twoParts(t, false, ociindex.Name("reg.example/app:v1"))
	dir := t.TempDir()
	if err := Layout(parts, dir); err != nil {
		t.Fatal(err)
	}
	if err := DockerTar(dir, io.Discard); err == nil || err.Error() != errDockerIndex.Error() {
		t.Errorf("DockerTar of two platforms: %v, want BuildKit's %q", err, errDockerIndex)
	}
	// One platform (as one node would export it): docker load's format.
	var buf bytes.Buffer
	if err := DockerTar(parts[0].Layout, &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"RepoTags":["reg.example/app:v1"]`) {
		t.Errorf("no manifest.json naming reg.example/app:v1 in the docker tarball")
	}
}

func TestWriteFileLeavesNothingOnError(t *testing.T) {
	parts, _ := twoParts(t, false)
	dir := t.TempDir()
	if err := Layout(parts, dir); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "image.tar")
	if err := os.WriteFile(out, []byte("the user's file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(out, DockerTar, dir); err == nil {
		t.Fatal("DockerTar of two platforms succeeded")
	}
	if b, _ := os.ReadFile(out); string(b) != "the user's file" {
		t.Errorf("a failed write replaced %s: %q", out, b)
	}
	ents, _ := os.ReadDir(filepath.Dir(out))
	if len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
	if err := WriteFile(out, OCITar, dir); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); !bytes.Contains(b, []byte("oci-layout")) {
		t.Errorf("%s is not an oci tarball", out)
	}
}

func TestLayoutAnnotated(t *testing.T) {
	parts, _ := twoParts(t, true, ociindex.Tag("v1"))
	dir := t.TempDir()
	ann := Annotations{
		Index:           map[string]string{"org.opencontainers.image.description": "joined"},
		IndexDescriptor: map[string]string{"org.opencontainers.image.title": "app"},
	}
	if err := LayoutAnnotated(parts, dir, ann); err != nil {
		t.Fatal(err)
	}
	e := readIndexJSON(t, dir).Manifests[0]
	want := map[string]string{
		"org.opencontainers.image.title": "app",
		ocispec.AnnotationCreated:        "1970-01-01T00:00:00Z",
		ocispec.AnnotationRefName:        "v1",
	}
	if !reflect.DeepEqual(e.Annotations, want) {
		t.Errorf("index.json entry annotations %v, want %v", e.Annotations, want)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(readBlob(t, dir, e.Digest), &idx); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(idx.Annotations, ann.Index) {
		t.Errorf("index annotations %v, want %v", idx.Annotations, ann.Index)
	}
}
