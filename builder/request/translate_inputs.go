package request

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/docker/buildx/util/urlutil"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/ociindex"
	"github.com/moby/buildkit/frontend/dockerfile/dfgitutil"
)

// translateInputs sets where the build context, the Dockerfile and the
// named contexts come from, as buildx's bake.toBuildOpt and build.loadInputs do.
func translateInputs(r *Request, t *Target, o Options) error {
	ctxPath := "."
	if t.Context != nil && *t.Context != "" {
		ctxPath = *t.Context
	} else if t.Context != nil && t.ContextState() == nil {
		// only a tarball definition's "." leaves it empty, as in buildx
		return errors.New(`please specify build context (e.g. "." for the current directory)`)
	}
	dfPath := "Dockerfile"
	if t.Dockerfile != nil && *t.Dockerfile != "" {
		dfPath = *t.Dockerfile
	}
	// bake refused "-" (stdin) for both
	ctxPath = strings.TrimPrefix(ctxPath, "cwd://")
	dfPath = path.Clean(strings.TrimPrefix(dfPath, "cwd://"))
	remote := urlutil.IsRemoteURL(ctxPath)

	switch {
	case t.ContextState() != nil: // a folder of a remote definition's source (buildx's loadInputs)
		r.setInput("context", *t.ContextState())
		r.setInput("dockerfile", *t.ContextState())
		if _, ok, _ := dfgitutil.ParseGitRef(ctxPath); ok {
			r.Attrs["input:context"] = ctxPath
		}
		r.DockerfileSource = dfPath
	case remote:
		r.Attrs["context"] = ctxPath
		if filepath.IsAbs(dfPath) {
			r.Locals["dockerfile"] = filepath.Dir(dfPath)
			r.Attrs["dockerfilekey"] = "dockerfile"
			dfPath = filepath.Base(dfPath)
		}
	default:
		r.DockerfileSource = dfPath
		if !filepath.IsAbs(dfPath) {
			r.DockerfileSource = filepath.Join(path.Clean(ctxPath), dfPath)
		}
		dir := o.abs(path.Clean(ctxPath))
		if !isDir(dir) {
			if _, err := os.Stat(dir); err == nil { // Docker's text; buildx says "not found"
				return fmt.Errorf("unable to prepare context: context must be a directory: %s", dir)
			}
			return fmt.Errorf("unable to prepare context: path %q not found", ctxPath)
		}
		r.Locals["context"] = dir
		if !filepath.IsAbs(dfPath) {
			dfPath = filepath.Join(dir, dfPath)
		}
		r.Locals["dockerfile"] = filepath.Dir(dfPath)
		dfPath = lowercaseDockerfile(filepath.Dir(dfPath), filepath.Base(dfPath))
	}
	if t.DockerfileInline != nil {
		r.DockerfileInline = *t.DockerfileInline
		r.Locals["dockerfile"] = "" // served from memory
		r.Attrs["dockerfilekey"] = "dockerfile"
		r.DockerfileSource = "inline"
		dfPath = "Dockerfile"
	}
	r.Attrs["filename"] = dfPath
	for name, v := range t.Contexts {
		if nc, ok := t.RemoteNamedContext(name); ok {
			if nc.State != nil {
				addCap(r.Attrs, "moby.buildkit.frontend.contexts+forward")
				r.Attrs["context:"+name] = "input:" + name
				if _, ok, _ := dfgitutil.ParseGitRef(nc.Path); ok {
					r.Attrs["input:git_state_"+name] = nc.Path
				}
				r.setInput(name, *nc.State)
				continue
			}
			if v = nc.Path; v == "" {
				return fmt.Errorf("failed to get build context %v", name)
			}
		}
		if err := translateNamedContext(r, name, v, o); err != nil {
			return err
		}
	}
	return nil
}

// translateNamedContext handles one entry of `contexts`: another target's
// result, an image, a remote source, an OCI layout or a local directory.
func translateNamedContext(r *Request, name, v string, o Options) error {
	addCap(r.Attrs, "moby.buildkit.frontend.contexts+forward")
	v = strings.TrimPrefix(v, "cwd://")
	key := "context:" + name
	switch {
	case strings.HasPrefix(v, "target:"):
		if r.Deps == nil {
			r.Deps = map[string]string{}
		}
		r.Deps[name] = strings.TrimPrefix(v, "target:")
		r.Attrs[key] = v
	case strings.HasPrefix(v, "docker-image://"), urlutil.IsRemoteURL(v):
		r.Attrs[key] = v
	case strings.HasPrefix(v, "oci-layout://"):
		ref, err := ociLayoutContext(r, v, o)
		if err != nil {
			return fmt.Errorf("context %q: %w", name, err)
		}
		r.Attrs[key] = ref
	default:
		dir := o.abs(v)
		if !isDir(dir) {
			return fmt.Errorf("failed to get build context %v: %q is not a directory", name, v)
		}
		local := name
		if name == "context" || name == "dockerfile" {
			local = "_" + name // keep clear of the main mounts
		}
		r.Locals[local] = dir
		r.Attrs[key] = "local:" + local
		// buildx's loadInputs and toSolveOpt: the folder's name and the
		// client's node id, BuildKit's hint to reuse an earlier transfer.
		r.Attrs["sharedkey:localdir:"+name] = filepath.Base(dir) + ":" + o.NodeID
	}
	return nil
}

// ociLayoutContext resolves oci-layout://path[:tag][@digest] to a store
// id served from the session and the manifest digest BuildKit requires.
func ociLayoutContext(r *Request, v string, o Options) (string, error) {
	s := strings.TrimPrefix(v, "oci-layout://")
	s, dgst, _ := strings.Cut(s, "@")
	p, tag := s, "latest"
	if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") {
		p, tag = s[:i], s[i+1:]
	}
	dir := o.abs(p)
	if dgst == "" {
		idx := ociindex.NewStoreIndex(dir)
		desc, err := idx.Get(tag)
		if err == nil && desc == nil {
			desc, err = idx.GetSingle()
		}
		if err != nil {
			return "", fmt.Errorf("oci-layout reference %q could not be resolved: %w", v, err)
		}
		if desc == nil {
			return "", fmt.Errorf("oci-layout reference %q could not be resolved", v)
		}
		dgst = desc.Digest.String()
	}
	sum := sha256.Sum256([]byte(dir))
	id := "kiln-oci-" + hex.EncodeToString(sum[:8])
	if r.OCIStores == nil {
		r.OCIStores = map[string]string{}
	}
	r.OCIStores[id] = dir
	return "oci-layout://" + id + ":" + tag + "@" + dgst, nil
}

func (o Options) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	base := o.Dir
	if base == "" {
		base, _ = os.Getwd()
	}
	return filepath.Join(base, p)
}

// lowercaseDockerfile picks "dockerfile" when only that spelling exists
// (moby/moby#10858), as the docker CLI and buildx do.
func lowercaseDockerfile(dir, name string) string {
	if name != "Dockerfile" {
		return name
	}
	if _, err := os.Stat(filepath.Join(dir, "Dockerfile")); err != nil {
		if _, err := os.Stat(filepath.Join(dir, "dockerfile")); err == nil {
			return "dockerfile"
		}
	}
	return name
}

// setInput passes st to the frontend as input name (FrontendInputs).
func (r *Request) setInput(name string, st llb.State) {
	if r.Inputs == nil {
		r.Inputs = map[string]llb.State{}
	}
	r.Inputs[name] = st
}
