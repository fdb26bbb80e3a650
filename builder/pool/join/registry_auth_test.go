package join

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/buildx/util/imagetools"
	"github.com/kiln-build/kiln/internal/testenv"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Index and Tag against a real registry (docker-registry on 127.0.0.1)
// that asks for a password: the credentials come from the Docker config,
// as for builds; without them the error names the part.
func TestRegistryUsesDockerConfigCredentials(t *testing.T) {
	addr := testenv.StartRegistry(t, testenv.WithHtpasswd("joiner", "s3cret"))
	cfg := t.TempDir()
	t.Setenv("DOCKER_CONFIG", cfg)
	auth := base64.StdEncoding.EncodeToString([]byte("joiner:s3cret"))
	if err := os.WriteFile(filepath.Join(cfg, "config.json"), []byte(fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, addr, auth)), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	repo := addr + "/join/app"

	// What the nodes would have pushed by digest: two single-platform
	// images with attestations, copied from layouts the test writes.
	parts, _ := twoParts(t, true)
	r := imagetools.New(imagetools.Opt{Auth: DockerAuth()})
	dst, err := imagetools.ParseLocation(repo)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range parts {
		e, err := readEntry(p.Layout)
		if err != nil {
			t.Fatal(err)
		}
		src, err := imagetools.ParseLocation("oci-layout://" + p.Layout + "@" + e.desc.Digest.String())
		if err != nil {
			t.Fatal(err)
		}
		d := e.desc
		d.Annotations = nil
		if err := r.Copy(ctx, &imagetools.Source{Desc: d, Ref: src}, dst); err != nil {
			t.Fatalf("pushing part %s: %v", p, err)
		}
		parts[i].Manifest = ocispec.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}
	}

	desc, err := Index(ctx, DockerAuth(), repo, parts)
	if err != nil {
		t.Fatal(err)
	}
	if got := testenv.ManifestDigest(t, addr, "join/app", "v1"); got != "" {
		t.Fatalf("v1 exists (%s) before Tag", got)
	}
	if err := Tag(ctx, DockerAuth(), repo, desc, []string{repo + ":v1"}); err != nil {
		t.Fatal(err)
	}
	// ManifestDigest asks without credentials: the registry refuses, so
	// check through the resolver, which has them.
	_, got, err := r.Resolve(ctx, repo+":v1")
	if err != nil || got.Digest != desc.Digest {
		t.Fatalf("v1 resolves to %s (%v), want %s", got.Digest, err, desc.Digest)
	}

	// Without credentials: refused, naming the part. (Not by changing
	// DOCKER_CONFIG: the docker CLI reads it once per process.)
	_, err = Index(ctx, nil, repo, parts)
	if err == nil || !strings.Contains(err.Error(), "linux/amd64@a") {
		t.Errorf("Index without credentials: %v", err)
	}
	t.Logf("without credentials: %v", err)
}
