package main

// Reading images out of what builds produce: OCI layouts (directories and
// tarballs) and registries, down to the files of each platform's layers.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

type platformSpec struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant,omitempty"`
}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Platform    *platformSpec     `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// manifestOrIndex holds either an image index or an image manifest.
type manifestOrIndex struct {
	MediaType string       `json:"mediaType"`
	Manifests []descriptor `json:"manifests"`
	Config    descriptor   `json:"config"`
	Layers    []descriptor `json:"layers"`
}

func (m *manifestOrIndex) isIndex() bool {
	return m.Manifests != nil || strings.Contains(m.MediaType, "index") || strings.Contains(m.MediaType, "manifest.list")
}

type imageConfig struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant"`
	Config       struct {
		Env    []string          `json:"Env"`
		Cmd    []string          `json:"Cmd"`
		Labels map[string]string `json:"Labels"`
	} `json:"config"`
}

// blobSource reads content-addressed blobs (an OCI layout, a registry).
type blobSource interface {
	blob(digest string) ([]byte, error)
	// manifest reads a manifest or index by digest.
	manifest(digest string) ([]byte, error)
}

// image is one platform's image: manifest, config and layers.
type image struct {
	platform string
	manifest manifestOrIndex
	config   imageConfig
	src      blobSource
}

// images resolves a top-level index or manifest into its images by platform
// ("linux/arm64"), skipping attestation manifests.
func images(t *testing.T, src blobSource, top []byte) map[string]*image {
	t.Helper()
	out := map[string]*image{}
	var walk func(b []byte, plat *platformSpec, depth int)
	walk = func(b []byte, plat *platformSpec, depth int) {
		if depth > 4 {
			t.Fatal("index nesting too deep")
		}
		var m manifestOrIndex
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("parse manifest: %v\n%s", err, b)
		}
		if m.isIndex() {
			for _, d := range m.Manifests {
				if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
					continue
				}
				if d.Platform != nil && d.Platform.OS == "unknown" {
					continue
				}
				mb, err := src.manifest(d.Digest)
				if err != nil {
					t.Fatalf("read manifest %s: %v", d.Digest, err)
				}
				walk(mb, d.Platform, depth+1)
			}
			return
		}
		cb, err := src.blob(m.Config.Digest)
		if err != nil {
			t.Fatalf("read config %s: %v", m.Config.Digest, err)
		}
		img := &image{manifest: m, src: src}
		if err := json.Unmarshal(cb, &img.config); err != nil {
			t.Fatalf("parse config: %v", err)
		}
		img.platform = img.config.OS + "/" + img.config.Architecture
		if img.config.Variant != "" {
			img.platform += "/" + img.config.Variant
		}
		if plat != nil && (plat.Architecture != img.config.Architecture || plat.OS != img.config.OS) {
			t.Errorf("index says %s/%s, config says %s", plat.OS, plat.Architecture, img.platform)
		}
		out[img.platform] = img
	}
	walk(top, nil, 0)
	return out
}

// mustPlatforms checks that imgs holds exactly the given platforms.
func mustPlatforms(t *testing.T, what string, imgs map[string]*image, want ...string) {
	t.Helper()
	var got []string
	for p := range imgs {
		got = append(got, p)
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s: platforms %v, want %v", what, got, want)
	}
}

// layers returns each layer of the image uncompressed (a tar stream).
func (img *image) layers(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	for _, l := range img.manifest.Layers {
		b, err := img.src.blob(l.Digest)
		if err != nil {
			t.Fatalf("read layer %s: %v", l.Digest, err)
		}
		switch {
		case strings.HasSuffix(l.MediaType, "gzip"):
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("layer %s: %v", l.Digest, err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				t.Fatalf("layer %s: %v", l.Digest, err)
			}
		case strings.HasSuffix(l.MediaType, "tar"):
		default:
			t.Fatalf("layer %s: unsupported media type %s", l.Digest, l.MediaType)
		}
		out = append(out, b)
	}
	return out
}

// files applies the layers in order and returns the regular files and
// symlinks (as "-> target") of the resulting filesystem, by path without
// the leading slash.
func (img *image) files(t *testing.T) map[string]string {
	t.Helper()
	fs := map[string]string{}
	for _, layer := range img.layers(t) {
		tr := tar.NewReader(bytes.NewReader(layer))
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("read layer: %v", err)
			}
			name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
			dir, base := path.Split(name)
			if base == ".wh..wh..opq" {
				for p := range fs {
					if strings.HasPrefix(p, dir) {
						delete(fs, p)
					}
				}
				continue
			}
			if strings.HasPrefix(base, ".wh.") {
				gone := dir + strings.TrimPrefix(base, ".wh.")
				for p := range fs {
					if p == gone || strings.HasPrefix(p, gone+"/") {
						delete(fs, p)
					}
				}
				continue
			}
			switch h.Typeflag {
			case tar.TypeReg:
				b, _ := io.ReadAll(tr)
				fs[name] = string(b)
			case tar.TypeSymlink:
				fs[name] = "-> " + h.Linkname
			case tar.TypeLink:
				fs[name] = fs[strings.TrimPrefix(path.Clean("/"+h.Linkname), "/")]
			}
		}
	}
	return fs
}

// mustNotContain checks that no layer, file name or content included, holds s.
func (img *image) mustNotContain(t *testing.T, s string) {
	t.Helper()
	for i, l := range img.layers(t) {
		if bytes.Contains(l, []byte(s)) {
			t.Errorf("%s: layer %d (%s) contains %q", img.platform, i, img.manifest.Layers[i].Digest, s)
		}
	}
}

// ociLayout is an OCI image layout read from a directory or a tarball.
type ociLayout struct {
	files map[string][]byte // by path inside the layout
}

func readOCITar(t *testing.T, p string) *ociLayout {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := &ociLayout{files: map[string][]byte{}}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if h.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			l.files[path.Clean(h.Name)] = b
		}
	}
	return l
}

func readOCIDir(t *testing.T, dir string) *ociLayout {
	t.Helper()
	l := &ociLayout{files: map[string][]byte{}}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		l.files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (l *ociLayout) blob(digest string) ([]byte, error) {
	alg, hexd, ok := strings.Cut(digest, ":")
	if !ok {
		return nil, fmt.Errorf("bad digest %q", digest)
	}
	b, ok := l.files["blobs/"+alg+"/"+hexd]
	if !ok {
		return nil, fmt.Errorf("blob %s not in layout", digest)
	}
	return b, nil
}

func (l *ociLayout) manifest(digest string) ([]byte, error) { return l.blob(digest) }

// images reads index.json and returns the layout's images by platform.
func (l *ociLayout) images(t *testing.T) map[string]*image {
	t.Helper()
	if _, ok := l.files["oci-layout"]; !ok {
		t.Fatalf("not an OCI layout: no oci-layout file (have %d files)", len(l.files))
	}
	idx, ok := l.files["index.json"]
	if !ok {
		t.Fatal("not an OCI layout: no index.json")
	}
	return images(t, l, idx)
}

// --- registry ---------------------------------------------------------------
