package join

import (
	"context"
	"fmt"

	"github.com/distribution/reference"
	"github.com/docker/buildx/util/imagetools"
	"github.com/docker/cli/cli/config/types"
	"github.com/moby/buildkit/session/auth/authprovider"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Index pushes to repo (a repository name, "host/name", no tag) one image
// index referencing every part's image and attestation manifests, as one
// multi-platform solve pushes it, and returns its descriptor. The parts
// must already be in repo, pushed by digest by their nodes, and in the
// order of the target's platforms. The index is pushed by digest: no tag
// is written or moved (Tag does that once the whole run has succeeded).
// auth gives the credentials (DockerAuth: the Docker config's); nil is
// anonymous access.
func Index(ctx context.Context, auth Auth, repo string, parts []Part) (ocispec.Descriptor, error) {
	return IndexAnnotated(ctx, auth, repo, parts, Annotations{})
}

// IndexAnnotated is Index for a target with index-level annotations: the
// index carries ann.Index, the returned descriptor ann.IndexDescriptor.
func IndexAnnotated(ctx context.Context, auth Auth, repo string, parts []Part, ann Annotations) (ocispec.Descriptor, error) {
	named, err := repoName(repo)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	r := newResolver(auth)
	tops := make([]top, len(parts))
	for i, p := range parts {
		if p.Manifest.Digest == "" {
			return ocispec.Descriptor{}, fmt.Errorf("join: part %s: no manifest digest", p)
		}
		loc, err := digestLocation(named, p.Manifest)
		if err != nil {
			return ocispec.Descriptor{}, err
		}
		// Resolving by digest checks the manifest is in repo and gives its
		// media type and size as the registry has them.
		_, desc, err := r.Resolve(ctx, loc.String())
		if err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("join: part %s: %s: %w", p, loc, err)
		}
		if desc.Digest != p.Manifest.Digest {
			return ocispec.Descriptor{}, fmt.Errorf("join: part %s: %s resolves to %s", p, loc, desc.Digest)
		}
		b, err := r.GetDescriptor(ctx, loc, desc)
		if err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("join: part %s: %s: %w", p, loc, err)
		}
		d := p.Manifest
		d.MediaType, d.Size = desc.MediaType, desc.Size
		tops[i] = top{part: p, desc: d, data: b}
	}
	b, desc, err := assemble(tops, ann)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	loc, err := digestLocation(named, desc)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if err := r.Push(ctx, loc, desc, b); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("join: push index %s: %w", loc, err)
	}
	return desc, nil
}

// Tag points each of tags (full references, "host/name:tag", as a bake
// target's tags are) at desc, which must be in repo. A tag in another
// repository gets desc's whole chain copied there first (cross-repository
// mounts where the registry allows). Every tag is checked before the first
// is written.
func Tag(ctx context.Context, auth Auth, repo string, desc ocispec.Descriptor, tags []string) error {
	named, err := repoName(repo)
	if err != nil {
		return err
	}
	locs := make([]*imagetools.Location, len(tags))
	for i, t := range tags {
		ref, err := reference.ParseNormalizedNamed(t)
		if err != nil {
			return fmt.Errorf("join: tag %q: %w", t, err)
		}
		if _, ok := ref.(reference.Digested); ok {
			return fmt.Errorf("join: tag %q has a digest; a tag is name:tag", t)
		}
		if locs[i], err = imagetools.ParseLocation(reference.TagNameOnly(ref).String()); err != nil {
			return fmt.Errorf("join: tag %q: %w", t, err)
		}
	}
	src, err := digestLocation(named, desc)
	if err != nil {
		return err
	}
	r := newResolver(auth)
	b, err := r.GetDescriptor(ctx, src, desc)
	if err != nil {
		return fmt.Errorf("join: %s: %w", src, err)
	}
	for i, loc := range locs {
		if loc.Name() != named.Name() {
			if err := r.Copy(ctx, &imagetools.Source{Desc: desc, Ref: src}, loc); err != nil {
				return fmt.Errorf("join: copy %s to %s: %w", src, tags[i], err)
			}
		}
		if err := r.Push(ctx, loc, desc, b); err != nil {
			return fmt.Errorf("join: tag %s: %w", tags[i], err)
		}
	}
	return nil
}

// newResolver is buildx's registry client with auth's credentials; nil
// auth is anonymous access (imagetools itself needs a provider).
func newResolver(auth Auth) *imagetools.Resolver {
	if auth == nil {
		auth = func(context.Context, string, []string, authprovider.ExpireCachedAuthCheck) (types.AuthConfig, error) {
			return types.AuthConfig{}, nil
		}
	}
	return imagetools.New(imagetools.Opt{Auth: auth})
}

// repoName parses a repository name that carries neither tag nor digest.
func repoName(repo string) (reference.Named, error) {
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return nil, fmt.Errorf("join: repository %q: %w", repo, err)
	}
	if !reference.IsNameOnly(named) {
		return nil, fmt.Errorf("join: repository %q: want a name without tag or digest", repo)
	}
	return named, nil
}

// digestLocation is repo@digest: pushing there writes no tag.
func digestLocation(named reference.Named, desc ocispec.Descriptor) (*imagetools.Location, error) {
	c, err := reference.WithDigest(named, desc.Digest)
	if err != nil {
		return nil, fmt.Errorf("join: %s@%s: %w", named, desc.Digest, err)
	}
	return imagetools.ParseLocation(c.String())
}
