package join

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/platforms"
	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/util/attestation"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Part is one platform of a split target, as one node produced it.
type Part struct {
	Platform string // "linux/arm64"
	Node     string // node name, for messages
	// Manifest is what the node pushed by digest for this platform (the
	// metadata file's containerimage.descriptor): an image manifest, or an
	// index holding the image and its attestation manifest, as BuildKit
	// pushes with provenance.
	Manifest ocispec.Descriptor
	// Layout is the OCI layout directory the node exported (type=oci,
	// tar=false), for oci and docker outputs. Export it with
	// attestation-inline=true: a single-platform oci export drops
	// inline-only attestations (buildx's default provenance), which one
	// node's multi-platform export keeps.
	Layout string
	// Local is the directory the node's local exporter wrote for this
	// platform alone (local outputs).
	Local string
}

func (p Part) String() string {
	if p.Node == "" {
		return p.Platform
	}
	return p.Platform + "@" + p.Node
}

// Auth gives registry credentials per host, as BuildKit's session asks
// for them.
type Auth = authprovider.AuthConfigProvider

// DockerAuth reads credentials from the Docker config file (and its
// credential helpers), as kiln's builds do.
func DockerAuth() Auth {
	return authprovider.LoadAuthConfig(config.LoadDefaultConfigFile(io.Discard))
}

// Annotations are a target's index-level annotations (bake's
// `annotations = ["index:k=v", "index-descriptor:k=v"]`). A single-platform
// solve refuses them ("index annotations not supported for single platform
// export"), so the pool leaves them out of the parts' builds and gives
// them to the join, which puts them where one multi-platform solve does.
type Annotations struct {
	Index           map[string]string // on the image index
	IndexDescriptor map[string]string // on the descriptor of the index (index.json of a layout)
}

// top is one part's top-level descriptor with its bytes.
type top struct {
	part Part
	desc ocispec.Descriptor
	data []byte
}

// assemble builds the image index one multi-platform solve would have
// written (BuildKit's containerimage writer): every part's image manifest
// in the parts' order, then their attestation manifests in the same order,
// marshalled as the writer marshals it. Parts must be in the order of the
// target's platforms for the digest to be a single node's.
func assemble(tops []top, ann Annotations) ([]byte, ocispec.Descriptor, error) {
	if len(tops) == 0 {
		return nil, ocispec.Descriptor{}, fmt.Errorf("join: no parts")
	}
	var imgs, atts []ocispec.Descriptor
	seen := map[string]Part{}
	for _, t := range tops {
		want, err := platforms.Parse(t.part.Platform)
		if err != nil {
			return nil, ocispec.Descriptor{}, fmt.Errorf("join: part %s: platform %q: %w", t.part, t.part.Platform, err)
		}
		want = platforms.Normalize(want)
		key := platforms.FormatAll(want)
		if prev, dup := seen[key]; dup {
			return nil, ocispec.Descriptor{}, fmt.Errorf("join: parts %s and %s are both %s", prev, t.part, key)
		}
		seen[key] = t.part
		img, att, err := split(t, want)
		if err != nil {
			return nil, ocispec.Descriptor{}, err
		}
		imgs = append(imgs, img)
		atts = append(atts, att...)
	}
	idx := ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: append(imgs, atts...),
	}
	docker := true
	for _, d := range idx.Manifests {
		docker = docker && strings.HasPrefix(d.MediaType, "application/vnd.docker.")
	}
	if docker {
		// oci-mediatypes=false: the writer makes a Docker manifest list.
		idx.MediaType = images.MediaTypeDockerSchema2ManifestList
		if len(ann.Index)+len(ann.IndexDescriptor) > 0 {
			return nil, ocispec.Descriptor{}, fmt.Errorf(`join: cannot export annotations with "oci-mediatypes=false"`)
		}
	}
	if len(ann.Index) > 0 {
		idx.Annotations = ann.Index
	}
	b, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return nil, ocispec.Descriptor{}, err
	}
	d := ocispec.Descriptor{MediaType: idx.MediaType, Digest: digest.FromBytes(b), Size: int64(len(b))}
	if len(ann.IndexDescriptor) > 0 {
		d.Annotations = maps.Clone(ann.IndexDescriptor)
	}
	return b, d, nil
}

// split returns a part's image manifest descriptor, as a multi-platform
// index lists it, and its attestation manifests.
func split(t top, want ocispec.Platform) (ocispec.Descriptor, []ocispec.Descriptor, error) {
	if !images.IsIndexType(t.desc.MediaType) {
		if !images.IsManifestType(t.desc.MediaType) {
			return ocispec.Descriptor{}, nil, fmt.Errorf("join: part %s: %s is %q, not an image manifest or index", t.part, t.desc.Digest, t.desc.MediaType)
		}
		d := ocispec.Descriptor{MediaType: t.desc.MediaType, Digest: t.desc.Digest, Size: t.desc.Size, Platform: t.desc.Platform}
		// The exporter's internal annotation; what else the descriptor
		// carries is the user's manifest-descriptor annotations.
		for k, v := range t.desc.Annotations {
			if k == exptypes.ExporterConfigDigestKey {
				continue
			}
			if d.Annotations == nil {
				d.Annotations = map[string]string{}
			}
			d.Annotations[k] = v
		}
		if d.Platform == nil {
			p := want
			d.Platform = &p
		} else if !platforms.OnlyStrict(want).Match(platforms.Normalize(*d.Platform)) {
			return ocispec.Descriptor{}, nil, fmt.Errorf("join: part %s: manifest %s is for %s", t.part, t.desc.Digest, platforms.FormatAll(*d.Platform))
		}
		return d, nil, nil
	}
	var idx ocispec.Index
	if err := json.Unmarshal(t.data, &idx); err != nil {
		return ocispec.Descriptor{}, nil, fmt.Errorf("join: part %s: index %s: %w", t.part, t.desc.Digest, err)
	}
	if len(idx.Annotations) > 0 {
		// The writer puts index annotations on the multi-platform index;
		// a part's would be silently dropped or wrongly merged.
		return ocispec.Descriptor{}, nil, fmt.Errorf("join: part %s: index %s has index annotations, which a join cannot carry over", t.part, t.desc.Digest)
	}
	var img []ocispec.Descriptor
	var atts []ocispec.Descriptor
	for _, d := range idx.Manifests {
		if d.Annotations[attestation.DockerAnnotationReferenceType] == attestation.DockerAnnotationReferenceTypeDefault {
			atts = append(atts, d)
			continue
		}
		img = append(img, d)
	}
	if len(img) != 1 || img[0].Platform == nil {
		return ocispec.Descriptor{}, nil, fmt.Errorf("join: part %s: index %s holds %d images with a platform, want one (%s)", t.part, t.desc.Digest, len(img), t.part.Platform)
	}
	if !platforms.OnlyStrict(want).Match(platforms.Normalize(*img[0].Platform)) {
		return ocispec.Descriptor{}, nil, fmt.Errorf("join: part %s: index %s holds %s", t.part, t.desc.Digest, platforms.FormatAll(*img[0].Platform))
	}
	for _, a := range atts {
		if a.Annotations[attestation.DockerAnnotationReferenceDigest] != img[0].Digest.String() {
			return ocispec.Descriptor{}, nil, fmt.Errorf("join: part %s: attestation manifest %s is not for image %s", t.part, a.Digest, img[0].Digest)
		}
	}
	return img[0], atts, nil
}
