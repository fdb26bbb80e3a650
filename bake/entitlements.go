package bake

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/docker/buildx/util/buildflags"
	"github.com/docker/buildx/util/ocilayout"
	"github.com/tonistiigi/go-csvvalue"
)

// MissingEntitlements returns the privileges the plan's targets request
// that granted does not cover, as buildx's EntitlementConf.Validate does:
// network.host, security.insecure, devices, buildx.local.delete, the
// default ssh agent, and the filesystem paths the build reads (contexts,
// named contexts, the Dockerfile, secret and ssh key files, local cache
// sources) or writes (output and local cache destinations). A path counts
// as granted when it lies under a granted one after both are resolved
// through symlinks, so a symlink inside the working directory that points
// outside it is not granted by the working directory. Paths that --set
// put on the command line are granted, as in buildx.
func (p *Plan) MissingEntitlements(granted Entitlements) (Entitlements, error) {
	var need Entitlements
	ro, rw := map[string]struct{}{}, map[string]struct{}{}
	for _, name := range sortedKeys(p.Targets) {
		t := p.Targets[name]
		if err := t.requestedEntitlements(granted, &need, ro, rw); err != nil {
			return Entitlements{}, p.checkErrorAt(name, err)
		}
		granted.FSRead = append(granted.FSRead, t.grants.fsRead...)
		granted.FSWrite = append(granted.FSWrite, t.grants.fsWrite...)
	}
	for _, t := range p.Targets {
		// buildx grants these from --set before it looks at any target
		if t.grants.networkHost && need.NetworkHost {
			need.NetworkHost = false
		}
		if t.grants.securityInsecure && need.SecurityInsecure {
			need.SecurityInsecure = false
		}
	}
	var err error
	if need.FSRead, err = findMissingPaths(granted.FSRead, ro); err != nil {
		return Entitlements{}, err
	}
	if need.FSWrite, err = findMissingPaths(granted.FSWrite, rw); err != nil {
		return Entitlements{}, err
	}
	return need, nil
}

// requestedEntitlements adds to need what t asks for beyond granted, and to
// ro and rw the host paths it reads and writes.
func (t *Target) requestedEntitlements(granted Entitlements, need *Entitlements, ro, rw map[string]struct{}) error {
	for _, e := range t.Entitlements {
		k, rest, _ := strings.Cut(e, "=")
		switch {
		case e == "network.host":
			need.NetworkHost = need.NetworkHost || !granted.NetworkHost
		case e == "security.insecure":
			need.SecurityInsecure = need.SecurityInsecure || !granted.SecurityInsecure
		case k == "device" && rest == "":
			need.AllDevices = need.AllDevices || !granted.AllDevices
		case k == "device":
			fields, err := csvvalue.Fields(rest, nil)
			if err != nil {
				return &specError{attr: "entitlements", elem: func(lit string) bool { return lit == e },
					err: fmt.Errorf("failed to parse device entitlement %q: %w", rest, err)}
			}
			// buildx asks for a named device whatever --allow says
			need.addDevice(fields[0])
		}
	}
	for _, p := range t.localInputPaths() {
		ro[p] = struct{}{}
	}
	for _, o := range t.Outputs {
		if p, ok := outputPath(o); ok {
			rw[p] = struct{}{}
		}
		if o.Type == "local" {
			deletes, err := localOutputDeletes(o.Attrs["mode"])
			if err != nil {
				return &specError{attr: "output", elem: sameSpec(o), err: err}
			}
			if deletes && !granted.LocalOutputDelete {
				need.LocalOutputDelete = true
			}
		}
	}
	for _, c := range t.CacheTo {
		if dest, ok := c.Attrs["dest"]; ok && c.Type == "local" {
			rw[dest] = struct{}{}
		}
	}
	for _, c := range t.CacheFrom {
		if src, ok := c.Attrs["src"]; ok && c.Type == "local" {
			ro[src] = struct{}{}
		}
	}
	for _, s := range t.Secrets.Normalize() {
		if p := s.ResolveSource().FilePath; p != "" {
			ro[p] = struct{}{}
		}
	}
	for _, s := range t.SSHAgents() {
		for _, p := range s.Paths {
			ro[p] = struct{}{}
		}
		if len(s.Paths) == 0 && !granted.SSH {
			need.SSH = true
		}
	}
	return nil
}

// localInputPaths lists the host paths a build of t reads as contexts,
// as buildx's collectLocalPaths sees them: the context, the Dockerfile
// (relative to the context) and the local named contexts.
func (t *Target) localInputPaths() []string {
	contextPath := "."
	if t.Context != nil {
		contextPath = strings.TrimPrefix(*t.Context, "cwd://")
	}
	dockerfile := "Dockerfile"
	if t.Dockerfile != nil {
		dockerfile = *t.Dockerfile
	}
	if v, ok := strings.CutPrefix(dockerfile, "cwd://"); ok {
		if abs, err := filepath.Abs(path.Clean(v)); err == nil {
			dockerfile = abs
		}
	} else {
		dockerfile = path.Clean(dockerfile)
	}
	if !IsRemoteURL(contextPath) && !filepath.IsAbs(dockerfile) {
		dockerfile = filepath.Join(contextPath, dockerfile)
	}
	var out []string
	// a folder of a remote definition's source is read by BuildKit, not
	// from this host (buildx's collectLocalPaths skips it too)
	if t.ContextState() == nil {
		for _, p := range []string{contextPath, dockerfile} {
			if v, ok := localPath(p); ok {
				out = append(out, v)
			}
		}
	}
	for _, name := range sortedKeys(t.Contexts) {
		v := t.Contexts[name]
		if nc, ok := t.RemoteNamedContext(name); ok && (nc.State != nil || nc.Path != "") {
			continue // a folder of the remote source, or its URL
		}
		if ref, ok, err := ocilayout.Parse(v); ok {
			if err == nil {
				out = append(out, ref.Path)
			}
			continue
		}
		if v, ok := localPath(v); ok {
			out = append(out, v)
		}
	}
	return out
}

func localPath(p string) (string, bool) {
	if IsRemoteURL(p) || strings.HasPrefix(p, "target:") || strings.HasPrefix(p, "docker-image:") {
		return "", false
	}
	return strings.TrimPrefix(p, "cwd://"), true
}

// outputPath is the host path an output writes, as buildx's CreateExports
// reports it: the dest of local, tar, oci and docker outputs, except stdout.
func outputPath(o *buildflags.ExportEntry) (string, bool) {
	switch o.Type {
	case "local", "tar", "oci", "docker":
		if o.Destination != "" && o.Destination != "-" {
			return o.Destination, true
		}
	}
	return "", false
}

// localOutputDeletes parses the mode of a local output as BuildKit's
// client.ParseLocalExporterMode does: whether it is "delete" (the output
// directory mirrors the result, removing what the build did not write).
func localOutputDeletes(mode string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(mode)) {
	case "", "copy":
		return false, nil
	case "delete":
		return true, nil
	}
	return false, fmt.Errorf("invalid local exporter mode %q", mode)
}

// none reports whether nothing is missing.
func (e Entitlements) none() bool {
	return !e.NetworkHost && !e.SecurityInsecure && !e.AllDevices && len(e.Devices) == 0 &&
		!e.SSH && !e.LocalOutputDelete && len(e.FSRead) == 0 && len(e.FSWrite) == 0
}
