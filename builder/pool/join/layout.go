package join

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/images/archive"
	contentlocal "github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/containerd/errdefs"
	"github.com/moby/buildkit/client/ociindex"
	"github.com/moby/buildkit/util/attestation"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// annotationImageName is the full image name an OCI layout entry is known
// by (BuildKit's ociindex and containerd's archive exporter write it).
const annotationImageName = "io.containerd.image.name"

// entry is the one image of an OCI layout's index.json, under its names.
type entry struct {
	desc  ocispec.Descriptor // top-level descriptor, name annotations removed
	names []ociindex.NameOrTag
	full  []string // the full names (io.containerd.image.name) only
	shown []string // every name and tag, for messages
}

// readEntry reads the image an OCI layout holds. BuildKit's exporter puts
// one image there under each of its names; a layout holding different
// images is not a part of one target.
func readEntry(dir string) (entry, error) {
	idx, err := ociindex.NewStoreIndex(dir).Read()
	if err != nil {
		return entry{}, err
	}
	if len(idx.Manifests) == 0 {
		return entry{}, fmt.Errorf("%s: index.json lists no image", dir)
	}
	var e entry
	for i, m := range idx.Manifests {
		if i > 0 && m.Digest != e.desc.Digest {
			return entry{}, fmt.Errorf("%s: index.json lists more than one image (%s, %s)", dir, e.desc.Digest, m.Digest)
		}
		if name, ok := m.Annotations[annotationImageName]; ok {
			e.names = append(e.names, ociindex.Name(name))
			e.full = append(e.full, name)
			e.shown = append(e.shown, name)
		} else if tag, ok := m.Annotations[ocispec.AnnotationRefName]; ok {
			e.names = append(e.names, ociindex.Tag(tag))
			e.shown = append(e.shown, tag)
		}
		d := m
		d.Annotations = nil
		for k, v := range m.Annotations {
			if k == annotationImageName || k == ocispec.AnnotationRefName {
				continue
			}
			if d.Annotations == nil {
				d.Annotations = map[string]string{}
			}
			d.Annotations[k] = v
		}
		e.desc = d
	}
	return e, nil
}

// Layout writes into dir the OCI layout one node would have written for
// the parts' multi-platform build: every part's blobs (each once), the
// joined index (the same bytes Index pushes), and an index.json entry per
// image name, merged into an index.json already in dir as BuildKit's
// client merges it. Each part's Layout is the single-platform OCI layout
// (type=oci,tar=false) its node exported.
func Layout(parts []Part, dir string) error {
	return LayoutAnnotated(parts, dir, Annotations{})
}

// LayoutAnnotated is Layout for a target with index-level annotations:
// the index carries ann.Index, its index.json entries ann.IndexDescriptor.
func LayoutAnnotated(parts []Part, dir string, ann Annotations) error {
	ctx := context.Background()
	tops := make([]top, len(parts))
	srcs := make([]content.Store, len(parts))
	var first entry
	var created time.Time
	for i, p := range parts {
		if p.Layout == "" {
			return fmt.Errorf("join: part %s: no OCI layout", p)
		}
		e, err := readEntry(p.Layout)
		if err != nil {
			return fmt.Errorf("join: part %s: %w", p, err)
		}
		if i == 0 {
			first = e
		} else if !slices.Equal(e.names, first.names) {
			return fmt.Errorf("join: part %s names its image %q, part %s %q", p, e.shown, parts[0], first.shown)
		}
		// created is the export's time (SOURCE_DATE_EPOCH when set): one
		// node exports once, after every platform, so the latest.
		if c, err := time.Parse(time.RFC3339, e.desc.Annotations[ocispec.AnnotationCreated]); err == nil && c.After(created) {
			created = c
		}
		src, err := contentlocal.NewStore(p.Layout)
		if err != nil {
			return fmt.Errorf("join: part %s: %w", p, err)
		}
		b, err := content.ReadBlob(ctx, src, e.desc)
		if err != nil {
			return fmt.Errorf("join: part %s: %w", p, err)
		}
		d := e.desc
		delete(d.Annotations, ocispec.AnnotationCreated)
		if len(d.Annotations) == 0 {
			d.Annotations = nil
		}
		tops[i] = top{part: p, desc: d, data: b}
		srcs[i] = src
	}
	b, desc, err := assemble(tops, ann)
	if err != nil {
		return err
	}
	// Only now is dir touched: a refused join leaves it as it was.
	dst, err := contentlocal.NewStore(dir)
	if err != nil {
		return fmt.Errorf("join: %w", err)
	}
	// What the joined index references, not a part's own top-level index,
	// which one node's export would not hold.
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return fmt.Errorf("join: %w", err)
	}
	for _, m := range idx.Manifests {
		i := slices.IndexFunc(srcs, func(s content.Store) bool {
			_, err := s.Info(ctx, m.Digest)
			return err == nil
		})
		if i < 0 {
			return fmt.Errorf("join: manifest %s is in no part's layout", m.Digest)
		}
		if err := copyChain(ctx, dst, srcs[i], m); err != nil {
			return fmt.Errorf("join: part %s: %w", parts[i], err)
		}
	}
	if err := writeBlob(ctx, dst, desc, b); err != nil {
		return fmt.Errorf("join: %w", err)
	}
	// As the oci exporter: created is added unless an index-descriptor
	// annotation sets it.
	if _, ok := desc.Annotations[ocispec.AnnotationCreated]; !ok && !created.IsZero() {
		if desc.Annotations == nil {
			desc.Annotations = map[string]string{}
		}
		desc.Annotations[ocispec.AnnotationCreated] = created.UTC().Format(time.RFC3339)
	}
	if err := ociindex.NewStoreIndex(dir).Put(desc, first.names...); err != nil {
		return fmt.Errorf("join: %w", err)
	}
	return nil
}

// copyChain copies desc and everything it references from src to dst,
// skipping blobs dst has.
func copyChain(ctx context.Context, dst content.Store, src content.Store, desc ocispec.Descriptor) error {
	return images.Walk(ctx, images.HandlerFunc(func(ctx context.Context, d ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		if _, err := dst.Info(ctx, d.Digest); err == nil {
			if images.IsIndexType(d.MediaType) || images.IsManifestType(d.MediaType) {
				return images.Children(ctx, dst, d)
			}
			return nil, nil
		}
		ra, err := src.ReaderAt(ctx, d)
		if err != nil {
			return nil, err
		}
		err = content.WriteBlob(ctx, dst, d.Digest.String(), content.NewReader(ra), d)
		ra.Close()
		if err != nil && !errdefs.IsAlreadyExists(err) {
			return nil, err
		}
		return images.Children(ctx, src, d)
	}), desc)
}

func writeBlob(ctx context.Context, dst content.Store, desc ocispec.Descriptor, b []byte) error {
	err := content.WriteBlob(ctx, dst, desc.Digest.String(), bytes.NewReader(b), desc)
	if errdefs.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// OCITar writes the OCI layout in dir as the tarball BuildKit's oci
// exporter streams for it (type=oci with a dest file): containerd's
// archive exporter with every platform and no Docker manifest.
func OCITar(dir string, w io.Writer) error {
	return exportTar(dir, w, archive.WithAllPlatforms(), archive.WithSkipDockerManifest())
}

// errDockerIndex is BuildKit's docker exporter's refusal of a
// multi-platform result (exporter/oci: "docker exporter does not currently
// support exporting manifest lists"): one node refuses it, so a join does.
var errDockerIndex = errors.New("docker exporter does not currently support exporting manifest lists")

// DockerTar writes the image in dir as BuildKit's docker exporter writes
// it (a tarball `docker load` reads). As that exporter, it refuses a
// multi-platform image, which every joined layout is.
func DockerTar(dir string, w io.Writer) error {
	e, err := readEntry(dir)
	if err != nil {
		return fmt.Errorf("join: %w", err)
	}
	if images.IsIndexType(e.desc.MediaType) {
		store, err := contentlocal.NewStore(dir)
		if err != nil {
			return fmt.Errorf("join: %w", err)
		}
		b, err := content.ReadBlob(context.Background(), store, e.desc)
		if err != nil {
			return fmt.Errorf("join: %w", err)
		}
		var idx ocispec.Index
		if err := json.Unmarshal(b, &idx); err != nil {
			return fmt.Errorf("join: index %s: %w", e.desc.Digest, err)
		}
		n := 0
		for _, m := range idx.Manifests {
			if m.Annotations[attestation.DockerAnnotationReferenceType] != attestation.DockerAnnotationReferenceTypeDefault {
				n++
			}
		}
		if n > 1 {
			return errDockerIndex
		}
	}
	return exportTar(dir, w)
}

func exportTar(dir string, w io.Writer, opts ...archive.ExportOpt) error {
	e, err := readEntry(dir)
	if err != nil {
		return fmt.Errorf("join: %w", err)
	}
	store, err := contentlocal.NewStore(dir)
	if err != nil {
		return fmt.Errorf("join: %w", err)
	}
	opts = append([]archive.ExportOpt{archive.WithManifest(e.desc, e.full...)}, opts...)
	if err := archive.Export(context.Background(), store, w, opts...); err != nil {
		return fmt.Errorf("join: %s: %w", dir, err)
	}
	return nil
}

// WriteFile writes a tarball (OCITar, DockerTar) of the layout in dir to
// path, replacing path only once the tarball is whole.
func WriteFile(path string, write func(dir string, w io.Writer) error, dir string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("join: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := write(dir, tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("join: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("join: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("join: %w", err)
	}
	return nil
}
