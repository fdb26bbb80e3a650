package skip

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kiln-build/kiln/builder/inputs"
)

// Output kinds: what an output is and how it is checked.
const (
	// KindDir is a local directory (output type=local, or oci/docker with
	// tar=false): the digest of its tree.
	KindDir = "dir"
	// KindFile is a tarball written to a file: its digest.
	KindFile = "file"
	// KindPush is a pushed image name: the manifest digest it points at.
	KindPush = "push"
	// KindLoad is an image loaded into a Docker engine: its image id.
	KindLoad = "load"
	// KindCacheRegistry is a cache-to type=registry ref: its digest.
	KindCacheRegistry = "cache-registry"
	// KindCacheLocal is a cache-to type=local directory: its index digest.
	KindCacheLocal = "cache-local"
)

// Output is one thing a build wrote that must still be there, as written,
// for the target to be up to date.
type Output struct {
	Kind string `json:"kind"`
	// Path is the directory or file (dir, file, cache-local).
	Path string `json:"path,omitempty"`
	// Ref is the image name or cache ref (push, load, cache-registry).
	Ref string `json:"ref,omitempty"`
	// Host is the Docker engine an image was loaded into (load).
	Host string `json:"host,omitempty"`
	// Digest is what Capture found after the build.
	Digest string `json:"digest,omitempty"`
}

// Checker computes outputs' digests, after a build (Capture) and before
// skipping one (Verify).
type Checker struct {
	Resolver *Resolver
	Stat     *inputs.StatCache
}

// Capture fills in each output's digest as the build left it. resp is the
// build's exporter response (a push's digest is the one it reports).
func (c *Checker) Capture(ctx context.Context, outs []Output, resp map[string]string) ([]Output, error) {
	out := slices.Clone(outs)
	for i := range out {
		var err error
		if out[i].Kind == KindPush && resp["containerimage.digest"] != "" {
			out[i].Digest = resp["containerimage.digest"]
			continue
		}
		if out[i].Digest, err = c.digest(ctx, out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Verify says why an output is no longer as recorded ("" when every one is).
func (c *Checker) Verify(ctx context.Context, outs []Output) string {
	for _, o := range outs {
		d, err := c.digest(ctx, o)
		if err != nil {
			return fmt.Sprintf("%s: %v", o.describe(), err)
		}
		if d != o.Digest {
			return o.describe() + " changed"
		}
	}
	return ""
}

func (o Output) describe() string {
	switch o.Kind {
	case KindDir:
		return "output directory " + o.Path
	case KindFile:
		return "output file " + o.Path
	case KindPush:
		return "pushed image " + o.Ref
	case KindLoad:
		return "loaded image " + o.Ref
	case KindCacheLocal:
		return "cache " + o.Path
	}
	return "cache " + o.Ref
}

func (c *Checker) digest(ctx context.Context, o Output) (string, error) {
	switch o.Kind {
	case KindDir:
		return c.treeDigest(ctx, o.Path)
	case KindFile:
		return inputs.Fingerprint(ctx, []string{o.Path}, c.Stat)
	case KindCacheLocal:
		return inputs.Fingerprint(ctx, []string{filepath.Join(o.Path, "index.json")}, c.Stat)
	case KindPush, KindCacheRegistry:
		if c.Resolver == nil {
			return "", fmt.Errorf("no resolver")
		}
		return c.Resolver.fresh(ctx, o.Ref)
	case KindLoad:
		return dockerImageID(ctx, o.Host, o.Ref)
	}
	return "", fmt.Errorf("unknown output kind %q", o.Kind)
}

// treeDigest is the fingerprint of every file and symlink under dir, and
// of the directories too (an added empty directory is a change).
func (c *Checker) treeDigest(ctx context.Context, dir string) (string, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("not a directory")
	}
	var files []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		files = append(files, p) // sorted: WalkDir walks in lexical order
		return nil
	})
	if err != nil {
		return "", err
	}
	return inputs.Fingerprint(ctx, files, c.Stat)
}

// dockerImageID asks the Docker engine at host (DOCKER_HOST form) for the
// id of image name, as `docker image inspect` does.
func dockerImageID(ctx context.Context, host, name string) (string, error) {
	if host == "" {
		host = "unix:///var/run/docker.sock"
	}
	tr := &http.Transport{}
	base := ""
	switch {
	case strings.HasPrefix(host, "unix://"):
		sock := strings.TrimPrefix(host, "unix://")
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}
		base = "http://docker"
	case strings.HasPrefix(host, "tcp://"):
		base = "http://" + strings.TrimPrefix(host, "tcp://")
	default:
		return "", fmt.Errorf("unsupported DOCKER_HOST %q", host)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/images/"+url.PathEscape(name)+"/json", nil)
	if err != nil {
		return "", err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return "", fmt.Errorf("not in the Docker engine at %s", host)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("docker image inspect: %s", resp.Status)
	}
	var img struct{ Id string }
	if err := json.NewDecoder(resp.Body).Decode(&img); err != nil {
		return "", err
	}
	return img.Id, nil
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
