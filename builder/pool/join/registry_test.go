package join

import (
	"context"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Bad input to Index and Tag is refused before the registry is asked
// (these repositories' hosts do not exist). Pushing and tagging against a
// real registry: cmd/kiln's TestIntegrationJoin.
func TestRegistryBadInput(t *testing.T) {
	ctx := context.Background()
	p := Part{Platform: "linux/amd64", Node: "a", Manifest: ocispec.Descriptor{Digest: digest.Digest("sha256:" + strings.Repeat("a", 64))}}
	for _, repo := range []string{"no.such.example/app:v1", "no.such.example/app@sha256:" + strings.Repeat("a", 64), "Bad Name"} {
		if _, err := Index(ctx, nil, repo, []Part{p}); err == nil || !strings.Contains(err.Error(), "repository") {
			t.Errorf("Index into %q: %v", repo, err)
		}
		if err := Tag(ctx, nil, repo, p.Manifest, []string{"no.such.example/app:v1"}); err == nil || !strings.Contains(err.Error(), "repository") {
			t.Errorf("Tag in %q: %v", repo, err)
		}
	}
	if _, err := Index(ctx, nil, "no.such.example/app", []Part{{Platform: "linux/amd64", Node: "a"}}); err == nil || !strings.Contains(err.Error(), "linux/amd64@a: no manifest digest") {
		t.Errorf("Index of a part without digest: %v", err)
	}
	for _, tag := range []string{"no.such.example/app:bad tag", "no.such.example/app@sha256:" + strings.Repeat("a", 64)} {
		if err := Tag(ctx, nil, "no.such.example/app", p.Manifest, []string{tag}); err == nil || !strings.Contains(err.Error(), "tag") {
			t.Errorf("Tag %q: %v", tag, err)
		}
	}
}
