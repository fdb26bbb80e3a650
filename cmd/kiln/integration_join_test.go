package main

// Joining a split multi-platform target (builder/pool/join), checked
// against the real thing: the same two-platform target built once as one
// multi-platform solve and once as two single-platform solves (what the
// pool does when it puts each platform on its own node), the latter joined,
// the two compared: the registry's index, the OCI layout and its tarball,
// the docker exporter's refusal, the local tree.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-build/kiln/builder/pool/join"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// joinFixture is a two-platform target and the builds of it.
type joinFixture struct {
	e   *kilnEnv
	dir string
	n   string
}

func newJoinFixture(t *testing.T) *joinFixture {
	t.Helper()
	e := sharedEngine(t).with("SOURCE_DATE_EPOCH=0")
	dir := t.TempDir()
	n := nonce()
	// A file, a symlink, a directory with unusual mode and a setuid file:
	// what a local join must carry over as the exporter writes it.
	writeFiles(t, dir, map[string]string{
		"Dockerfile": "FROM base\nARG NONCE\nRUN echo \"$NONCE\" > /nonce && uname -m > /arch && ln -s arch /arch-link && mkdir -m 0710 /private && echo x > /private/x && chmod 4755 /private/x\n",
		// ANN: index-level annotations, which only a multi-platform solve
		// takes (the pool gives them to the join instead).
		"docker-bake.hcl": baseTarget(t, bothPlatforms...) + fmt.Sprintf(`
variable "ANN" { default = "" }
target "app" {
  contexts    = { base = "target:base" }
  platforms   = %s
  args        = { NONCE = %q }
  annotations = ANN == "" ? [] : split(";", ANN)
}
`, hclList(bothPlatforms), n),
	})
	return &joinFixture{e: e, dir: dir, n: n}
}

// build builds app with output for platform ("" for both at once) and
// returns the metadata file's app entry.
func (f *joinFixture) build(t *testing.T, e *kilnEnv, platform, output string) map[string]json.RawMessage {
	t.Helper()
	meta := filepath.Join(t.TempDir(), "metadata.json")
	args := []string{"--allow=fs.write=" + os.TempDir(), "--metadata-file", meta, "--set", "app.output=" + output}
	if platform != "" {
		args = append(args, "--set", "*.platform="+platform)
	}
	e.bake(t, f.dir, append(args, "app")...).mustSucceed(t)
	var md map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(readFile(t, meta)), &md); err != nil {
		t.Fatalf("metadata: %v", err)
	}
	return md["app"]
}

func descriptorOf(t *testing.T, md map[string]json.RawMessage) ocispec.Descriptor {
	t.Helper()
	var d ocispec.Descriptor
	if err := json.Unmarshal(md["containerimage.descriptor"], &d); err != nil || d.Digest == "" {
		t.Fatalf("metadata containerimage.descriptor: %v (%s)", err, md["containerimage.descriptor"])
	}
	return d
}

func TestIntegrationJoin(t *testing.T) {
	requireIntegration(t)
	f := newJoinFixture(t)
	for _, attest := range []bool{true, false} {
		name, e := "provenance", f.e
		if !attest {
			name, e = "no-attestations", f.e.with("BUILDX_NO_DEFAULT_ATTESTATIONS=1")
		}
		t.Run(name, func(t *testing.T) {
			t.Run("registry", func(t *testing.T) { testJoinRegistry(t, f, e, attest) })
			t.Run("layout", func(t *testing.T) { testJoinLayout(t, f, e, attest) })
			t.Run("local", func(t *testing.T) { testJoinLocal(t, f, e, attest, true) })
		})
	}
	// Without SOURCE_DATE_EPOCH BuildKit gives the platform directories
	// time 0; the files keep the times of their snapshots.
	t.Run("local-no-epoch", func(t *testing.T) { testJoinLocal(t, f, sharedEngine(t), true, false) })
	t.Run("annotations", func(t *testing.T) { testJoinAnnotations(t, f, f.e.with("BUILDX_NO_DEFAULT_ATTESTATIONS=1")) })
}

// testJoinAnnotations: a target with index and index-descriptor
// annotations, built whole with them and split without them (a
// single-platform solve refuses them), joined with them: the same index in
// the registry, the same layout.
func testJoinAnnotations(t *testing.T, f *joinFixture, e *kilnEnv) {
	r := testRegistry(t)
	repo := "kiln-it/join-ann-" + f.n
	ann := join.Annotations{
		Index:           map[string]string{"org.opencontainers.image.description": "joined " + f.n},
		IndexDescriptor: map[string]string{"org.opencontainers.image.title": "app"},
	}
	annEnv := e.with("ANN=index:org.opencontainers.image.description=joined " + f.n + ";index-descriptor:org.opencontainers.image.title=app")
	out := "type=image,name=" + r.Addr + "/" + repo + ",push-by-digest=true,push=true"
	whole := descriptorOf(t, f.build(t, annEnv, "", out))
	tmp := t.TempDir()
	f.build(t, annEnv, "", "type=oci,tar=false,dest="+filepath.Join(tmp, "whole"))
	var parts []join.Part
	for i, p := range bothPlatforms {
		d := filepath.Join(tmp, fmt.Sprintf("part%d", i))
		f.build(t, e, p, "type=oci,tar=false,attestation-inline=true,dest="+d)
		parts = append(parts, join.Part{Platform: p, Node: fmt.Sprintf("node%d", i), Layout: d, Manifest: descriptorOf(t, f.build(t, e, p, out))})
	}
	joined, err := join.IndexAnnotated(context.Background(), join.DockerAuth(), r.Addr+"/"+repo, parts, ann)
	if err != nil {
		t.Fatal(err)
	}
	if got := readIndex(t, registryRepo{r, repo}, whole.Digest.String()).Annotations; !reflect.DeepEqual(got, ann.Index) {
		t.Fatalf("one node's index has annotations %v, want %v (ANN not applied?)", got, ann.Index)
	}
	if joined.Digest != whole.Digest {
		t.Errorf("annotated index: joined %s, one node %s\njoined   %s\none node %s", joined.Digest, whole.Digest,
			mustManifest(t, registryRepo{r, repo}, joined.Digest.String()), mustManifest(t, registryRepo{r, repo}, whole.Digest.String()))
	}
	if err := join.LayoutAnnotated(parts, filepath.Join(tmp, "joined"), ann); err != nil {
		t.Fatal(err)
	}
	w, j := readOCIDir(t, filepath.Join(tmp, "whole")).files, readOCIDir(t, filepath.Join(tmp, "joined")).files
	if !reflect.DeepEqual(fileSums(w), fileSums(j)) {
		t.Errorf("annotated layouts differ:\njoined   %s\none node %s", j["index.json"], w["index.json"])
	}
}

// testJoinRegistry: each node pushes by digest, Index joins them; the
// index holds the same image manifests, for the same platforms in the same
// order, as the multi-platform build's, and without attestations it is the
// very same index (same digest). Nothing is tagged until Tag.
func testJoinRegistry(t *testing.T, f *joinFixture, e *kilnEnv, attest bool) {
	r := testRegistry(t)
	repo := "kiln-it/join-" + f.n
	if !attest {
		repo += "-noatt"
	}
	rr := registryRepo{r, repo}
	out := "type=image,name=" + r.Addr + "/" + repo + ",push-by-digest=true,push=true"
	whole := descriptorOf(t, f.build(t, e, "", out))
	var parts []join.Part
	for i, p := range bothPlatforms {
		parts = append(parts, join.Part{Platform: p, Node: fmt.Sprintf("node%d", i), Manifest: descriptorOf(t, f.build(t, e, p, out))})
	}
	ctx := context.Background()
	auth := join.DockerAuth()
	joined, err := join.Index(ctx, auth, r.Addr+"/"+repo, parts)
	if err != nil {
		t.Fatal(err)
	}
	wholeIdx, joinedIdx := readIndex(t, rr, whole.Digest.String()), readIndex(t, rr, joined.Digest.String())
	if wholeIdx.MediaType != joinedIdx.MediaType || joined.MediaType != whole.MediaType {
		t.Errorf("media type: joined %s, one node %s", joinedIdx.MediaType, wholeIdx.MediaType)
	}
	wImgs, wAtts := splitIndex(wholeIdx)
	jImgs, jAtts := splitIndex(joinedIdx)
	if !reflect.DeepEqual(wImgs, jImgs) {
		t.Errorf("image manifests differ:\njoined   %s\none node %s", js(jImgs), js(wImgs))
	}
	if len(jAtts) != len(wAtts) {
		t.Errorf("joined index has %d attestation manifests, one node's %d", len(jAtts), len(wAtts))
	}
	// Each part's attestation manifest is kept, after the images, for its image.
	var want []ocispec.Descriptor
	for _, p := range parts {
		if attest {
			_, atts := splitIndex(readIndex(t, rr, p.Manifest.Digest.String()))
			want = append(want, atts...)
		}
	}
	if !reflect.DeepEqual(jAtts, want) {
		t.Errorf("attestation manifests: joined %s, parts %s", js(jAtts), js(want))
	}
	for i, a := range jAtts {
		if a.Annotations["vnd.docker.reference.digest"] != jImgs[i].Digest.String() {
			t.Errorf("attestation %d is for %s, image %d is %s", i, a.Annotations["vnd.docker.reference.digest"], i, jImgs[i].Digest)
		}
	}
	if !attest && joined.Digest != whole.Digest {
		t.Errorf("joined index %s, one node's %s: without attestations they must be the same bytes", joined.Digest, whole.Digest)
	}
	if imgs := images(t, rr, mustManifest(t, rr, joined.Digest.String())); true {
		mustPlatforms(t, "joined index", imgs, bothPlatforms...)
		for p, img := range imgs {
			if got := img.files(t)["arch"]; got != unameOf[p]+"\n" {
				t.Errorf("joined %s: /arch = %q", p, got)
			}
		}
	}

	// Index tags nothing; Tag writes and moves tags, only when called.
	if tags := repoTags(t, rr); len(tags) != 0 {
		t.Fatalf("after Index, %s has tags %v; every push was by digest", repo, tags)
	}
	ref := r.Addr + "/" + repo + ":v1"
	if err := join.Tag(ctx, auth, r.Addr+"/"+repo, joined, []string{ref}); err != nil {
		t.Fatal(err)
	}
	if _, d := rr.images(t, "v1"); d != joined.Digest.String() {
		t.Errorf("v1 is %s, want the joined index %s", d, joined.Digest)
	}
	// Another index (the parts the other way round: another digest) does
	// not move v1 until Tag says so.
	other, err := join.Index(ctx, auth, r.Addr+"/"+repo, []join.Part{parts[1], parts[0]})
	if err != nil {
		t.Fatal(err)
	}
	if other.Digest == joined.Digest {
		t.Fatalf("reordered parts gave the same index %s", other.Digest)
	}
	if _, d := rr.images(t, "v1"); d != joined.Digest.String() {
		t.Errorf("Index moved v1 to %s", d)
	}
	if err := join.Tag(ctx, auth, r.Addr+"/"+repo, other, []string{ref}); err != nil {
		t.Fatal(err)
	}
	if _, d := rr.images(t, "v1"); d != other.Digest.String() {
		t.Errorf("after Tag, v1 is %s, want %s", d, other.Digest)
	}
	if tags := repoTags(t, rr); !reflect.DeepEqual(tags, []string{"v1"}) {
		t.Errorf("tags %v, want [v1]", tags)
	}
	// A tag in another repository: the index and everything under it are
	// copied there.
	copyRepo := repo + "-copy"
	if err := join.Tag(ctx, auth, r.Addr+"/"+repo, joined, []string{r.Addr + "/" + copyRepo + ":v2"}); err != nil {
		t.Fatal(err)
	}
	imgs, d := registryRepo{r, copyRepo}.images(t, "v2")
	mustPlatforms(t, "copied index", imgs, bothPlatforms...)
	if d != joined.Digest.String() {
		t.Errorf("%s:v2 is %s, want %s", copyRepo, d, joined.Digest)
	}
	for p, img := range imgs {
		if got := img.files(t)["nonce"]; got != f.n+"\n" {
			t.Errorf("copied %s: /nonce = %q", p, got)
		}
	}

	// Bad input: a bad tag is refused before any tag is written; a part
	// the repository does not have is named.
	err = join.Tag(ctx, auth, r.Addr+"/"+repo, joined, []string{r.Addr + "/" + repo + ":v3", r.Addr + "/" + repo + ":bad tag"})
	if err == nil || !strings.Contains(err.Error(), "bad tag") {
		t.Errorf("Tag with a bad reference: %v", err)
	}
	if tags := repoTags(t, rr); !reflect.DeepEqual(tags, []string{"v1"}) {
		t.Errorf("after a refused Tag, tags %v, want [v1]", tags)
	}
	missing := parts[0]
	missing.Manifest.Digest = digest.Digest("sha256:" + strings.Repeat("0", 64))
	if _, err := join.Index(ctx, auth, r.Addr+"/"+repo, []join.Part{missing, parts[1]}); err == nil || !strings.Contains(err.Error(), "linux/amd64@node0") {
		t.Errorf("Index with a part not in the repository: %v", err)
	}
}

// testJoinLayout: the nodes export OCI layouts, Layout joins them, and
// the result is the multi-platform build's layout (the same files, byte
// for byte, without attestations); OCITar of it is the oci exporter's
// tarball; the docker exporter refuses both.
func testJoinLayout(t *testing.T, f *joinFixture, e *kilnEnv, attest bool) {
	tmp := t.TempDir()
	whole := filepath.Join(tmp, "whole")
	f.build(t, e, "", "type=oci,tar=false,dest="+whole)
	var parts []join.Part
	for i, p := range bothPlatforms {
		d := filepath.Join(tmp, fmt.Sprintf("part%d", i))
		// attestation-inline: a single-platform oci export drops inline-only
		// attestations (buildx's default provenance) unless told to keep
		// them; one node's multi-platform export keeps them.
		f.build(t, e, p, "type=oci,tar=false,attestation-inline=true,dest="+d)
		parts = append(parts, join.Part{Platform: p, Node: fmt.Sprintf("node%d", i), Layout: d})
	}
	joined := filepath.Join(tmp, "joined")
	if err := join.Layout(parts, joined); err != nil {
		t.Fatal(err)
	}
	wl, jl := readOCIDir(t, whole), readOCIDir(t, joined)
	wImgs, jImgs := wl.images(t), jl.images(t)
	mustPlatforms(t, "joined layout", jImgs, bothPlatforms...)
	for p := range wImgs {
		if w, j := js(wImgs[p].manifest), js(jImgs[p].manifest); w != j {
			t.Errorf("%s manifest differs:\njoined   %s\none node %s", p, j, w)
		}
	}
	var wIdx, jIdx ocispec.Index
	json.Unmarshal(wl.files["index.json"], &wIdx)
	json.Unmarshal(jl.files["index.json"], &jIdx)
	if len(wIdx.Manifests) != 1 || len(jIdx.Manifests) != 1 {
		t.Fatalf("index.json: joined %s, one node %s", jl.files["index.json"], wl.files["index.json"])
	}
	if !reflect.DeepEqual(wIdx.Manifests[0].Annotations, jIdx.Manifests[0].Annotations) || wIdx.Manifests[0].MediaType != jIdx.Manifests[0].MediaType {
		t.Errorf("index.json entry: joined %s, one node %s", js(jIdx.Manifests[0]), js(wIdx.Manifests[0]))
	}
	if !attest && !reflect.DeepEqual(fileSums(wl.files), fileSums(jl.files)) {
		t.Errorf("without attestations the layouts must be the same files:\njoined   %v\none node %v", fileSums(jl.files), fileSums(wl.files))
	}

	// The tarball: what type=oci,dest=FILE streams.
	wholeTar := filepath.Join(tmp, "whole.tar")
	f.build(t, e, "", "type=oci,dest="+wholeTar)
	joinedTar := filepath.Join(tmp, "joined.tar")
	if err := join.WriteFile(joinedTar, join.OCITar, joined); err != nil {
		t.Fatal(err)
	}
	wt, jt := readOCITar(t, wholeTar), readOCITar(t, joinedTar)
	mustPlatforms(t, "joined tarball", jt.images(t), bothPlatforms...)
	if a, b := blobSums(jt.files), blobSums(jl.files); !reflect.DeepEqual(a, b) {
		t.Errorf("the tarball holds other blobs than the layout:\ntar    %v\nlayout %v", a, b)
	}
	if !attest {
		if a, b := sum(readFile(t, wholeTar)), sum(readFile(t, joinedTar)); a != b {
			t.Errorf("without attestations the tarballs must be the same bytes: joined %s, one node %s", b, a)
		}
	} else if len(wt.files) != len(jt.files) {
		t.Errorf("tarball entries: joined %v, one node %v", tarNames(t, joinedTar), tarNames(t, wholeTar))
	}

	// docker: one node refuses a multi-platform result, and so does the join.
	dockerTar := filepath.Join(tmp, "docker.tar")
	run := e.bake(t, f.dir, "--allow=fs.write="+os.TempDir(), "--set", "app.output=type=docker,dest="+dockerTar, "app")
	run.mustFail(t)
	const refusal = "docker exporter does not currently support exporting manifest lists"
	if !strings.Contains(run.out, refusal) {
		t.Errorf("one node's docker export of two platforms: want %q in\n%s", refusal, tail(run.out, 20))
	}
	err := join.WriteFile(filepath.Join(tmp, "joined-docker.tar"), join.DockerTar, joined)
	if err == nil || !strings.Contains(err.Error(), refusal) {
		t.Errorf("DockerTar of a joined layout: %v, want %q", err, refusal)
	}
	mustNotExist(t, filepath.Join(tmp, "joined-docker.tar"))
}

// testJoinLocal: each node's local export joined into per-platform
// directories is the multi-platform build's local tree: the same paths,
// types, modes, owners, times and contents.
func testJoinLocal(t *testing.T, f *joinFixture, e *kilnEnv, attest, withEpoch bool) {
	tmp := t.TempDir()
	whole := filepath.Join(tmp, "whole")
	f.build(t, e, "", "type=local,dest="+whole)
	var parts []join.Part
	for i, p := range bothPlatforms {
		d := filepath.Join(tmp, fmt.Sprintf("part%d", i))
		f.build(t, e, p, "type=local,dest="+d)
		parts = append(parts, join.Part{Platform: p, Node: fmt.Sprintf("node%d", i), Local: d})
	}
	joined := filepath.Join(tmp, "joined")
	var opt join.LocalOptions
	if withEpoch {
		epoch := time.Unix(0, 0)
		opt.Epoch = &epoch
	}
	if err := join.Local(parts, joined, opt); err != nil {
		t.Fatal(err)
	}
	w, j := treeOf(t, whole), treeOf(t, joined)
	if len(w) < 10 {
		t.Fatalf("one node's local tree has %d entries: %v", len(w), w)
	}
	for p, we := range w {
		je, ok := j[p]
		switch {
		case !ok:
			t.Errorf("joined tree lacks %s (%s)", p, we)
		case we != je && !(attest && isAttestationFile(p)):
			t.Errorf("%s: joined %s, one node %s", p, je, we)
		}
	}
	for p, je := range j {
		if _, ok := w[p]; !ok {
			t.Errorf("joined tree has %s (%s), one node's has not", p, je)
		}
	}
	if got := readFile(t, filepath.Join(joined, "linux_arm64", "arch")); got != "aarch64\n" {
		t.Errorf("linux_arm64/arch = %q", got)
	}
}

// isAttestationFile: the local exporter writes attestations as files
// (provenance.json) whose content names the build's platforms, which the
// split builds name differently.
func isAttestationFile(p string) bool {
	return strings.HasSuffix(p, ".json") && !strings.Contains(strings.TrimPrefix(p, "linux_"), "/")
}

// treeOf describes every entry under dir by relative path: type, mode,
// owner, modification time and content (or link target).
func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		st := fi.Sys().(*syscall.Stat_t)
		desc := fmt.Sprintf("%s %d:%d mtime=%d", fi.Mode(), st.Uid, st.Gid, fi.ModTime().UnixNano())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			desc += " -> " + l
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += " " + sum(string(b))
		}
		out[filepath.ToSlash(rel)] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readIndex(t *testing.T, rr registryRepo, digest string) ocispec.Index {
	t.Helper()
	var idx ocispec.Index
	if err := json.Unmarshal(mustManifest(t, rr, digest), &idx); err != nil {
		t.Fatalf("index %s: %v", digest, err)
	}
	return idx
}

func mustManifest(t *testing.T, rr registryRepo, digest string) []byte {
	t.Helper()
	b, err := rr.manifest(digest)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// splitIndex parts an index's image manifests from its attestation manifests.
func splitIndex(idx ocispec.Index) (imgs, atts []ocispec.Descriptor) {
	for _, d := range idx.Manifests {
		if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
			atts = append(atts, d)
		} else {
			imgs = append(imgs, d)
		}
	}
	return imgs, atts
}

// repoTags lists the repository's tags (none when it has none).
func repoTags(t *testing.T, rr registryRepo) []string {
	t.Helper()
	b, _, err := rr.get("tags", "list")
	if err != nil {
		if strings.Contains(err.Error(), "NAME_UNKNOWN") {
			return nil
		}
		t.Fatal(err)
	}
	var l struct{ Tags []string }
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	sort.Strings(l.Tags)
	return l.Tags
}

func fileSums(files map[string][]byte) map[string]string {
	out := map[string]string{}
	for p, b := range files {
		out[p] = sum(string(b))
	}
	return out
}

// blobSums are the blobs of a layout (index.json is written by different
// code for a directory and a tarball).
func blobSums(files map[string][]byte) map[string]string {
	out := fileSums(files)
	delete(out, "index.json")
	return out
}

func tarNames(t *testing.T, p string) []string {
	t.Helper()
	var names []string
	for n := range tarBytes(t, p) {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

func js(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.Encode(v)
	return strings.TrimSpace(b.String())
}
