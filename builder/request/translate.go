package request

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	"github.com/docker/buildx/util/buildflags"
	units "github.com/docker/go-units"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/entitlements"
)

// Options are the settings that apply to every target of a run.
type Options struct {
	// Dir is the directory relative context and dockerfile paths start
	// from ("" is the process's working directory).
	Dir string
	// LookupEnv reads the environment (SOURCE_DATE_EPOCH,
	// BUILDX_NO_DEFAULT_ATTESTATIONS, secrets given as env=); nil means none.
	LookupEnv func(string) (string, bool)
	// ProxyArgs are the Docker config file's proxies as build args
	// (ProxyArgs), added where the target sets no arg of that name.
	ProxyArgs map[string]string
	// NodeID is buildx's client identifier (NodeID), appended to the
	// shared keys of named local contexts as buildx does.
	NodeID string
	// Git adds the Git checkout's attributes and labels (NewGitInfo); nil
	// adds none.
	Git *GitInfo
}

func (o Options) env(k string) (string, bool) {
	if o.LookupEnv == nil {
		return "", false
	}
	return o.LookupEnv(k)
}

// Translate turns one planned target into the solve kiln asks BuildKit for,
// the way buildx turns a bake target into build options and a SolveOpt
// (bake.toBuildOpt, build.toSolveOpt). It starts no build and opens no
// session; it only reads the files that locate the build's inputs.
func Translate(name string, t *Target, o Options) (*Request, error) {
	r := &Request{
		Target:   name,
		Frontend: "dockerfile.v0",
		Attrs:    map[string]string{},
		Locals:   map[string]string{},
	}
	steps := []func(*Request, *Target, Options) error{
		translateInputs, translateArgs, translateOptions, translateResources, translateAttests,
		translateOutputs, translateCache, translateSession, translatePolicy, translateGit,
	}
	for _, step := range steps {
		if err := step(r, t, o); err != nil {
			return nil, fmt.Errorf("target %q: %w", name, err)
		}
	}
	return r, nil
}

// translateArgs sets build args and labels, and the build args that
// change how the solve is made (BUILDKIT_SYNTAX, BUILDKIT_INLINE_CACHE...).
func translateArgs(r *Request, t *Target, o Options) error {
	args := map[string]string{}
	for k, v := range t.Args {
		if v != nil {
			args[k] = *v
		}
	}
	if _, ok := args["SOURCE_DATE_EPOCH"]; !ok {
		if v, ok := o.env("SOURCE_DATE_EPOCH"); ok && v != "" {
			args["SOURCE_DATE_EPOCH"] = v
		}
	}
	for k, v := range args {
		r.Attrs["build-arg:"+k] = v
	}
	for k, v := range o.ProxyArgs { // build.toSolveOpt's proxyArgKeyExists
		if !slices.ContainsFunc(slices.Collect(maps.Keys(args)), func(a string) bool { return strings.EqualFold(a, k) }) {
			r.Attrs["build-arg:"+k] = v
		}
	}
	for k, v := range t.Labels {
		if v != nil {
			r.Attrs["label:"+k] = *v
		}
	}
	if v, ok := args["BUILDKIT_SYNTAX"]; ok {
		cmdline := strings.TrimSpace(v) // not empty: bake's CheckBuild
		r.Frontend = "gateway.v0"
		r.Attrs["source"] = strings.SplitN(cmdline, " ", 2)[0]
		r.Attrs["cmdline"] = v
	}
	if v, ok := args["BUILDKIT_MULTI_PLATFORM"]; ok && isTrue(v) {
		r.Attrs["multi-platform"] = "true"
	}
	if v, ok := args["BUILDKIT_INLINE_CACHE"]; ok && isTrue(v) {
		r.CacheExports = append(r.CacheExports, client.CacheOptionsEntry{Type: "inline", Attrs: map[string]string{}})
	}
	return nil
}

// translateOptions sets the frontend attributes of the target's plain
// settings: stage, platforms, network, cache switches, limits, hosts.
func translateOptions(r *Request, t *Target, o Options) error {
	if t.Target != nil && *t.Target != "" {
		r.Attrs["target"] = *t.Target
	}
	if len(t.Platforms) > 0 {
		var pp []string
		for _, s := range t.Platforms {
			for _, s := range strings.Split(s, ",") {
				p, err := platforms.Parse(strings.TrimSpace(s)) // checked by bake
				if err != nil {
					return err
				}
				if f := platforms.FormatAll(platforms.Normalize(p)); !slices.Contains(pp, f) {
					pp = append(pp, f)
				}
			}
		}
		r.Attrs["platform"] = strings.Join(pp, ",")
	}
	if t.Pull != nil && *t.Pull {
		r.Attrs["image-resolve-mode"] = pb.AttrImageResolveModeForcePull
	}
	if len(t.NoCacheFilter) > 0 {
		r.Attrs["no-cache"] = strings.Join(t.NoCacheFilter, ",")
	}
	if t.NoCache != nil && *t.NoCache {
		r.Attrs["no-cache"] = ""
	}
	r.Entitlements = append(r.Entitlements, t.Entitlements...)
	if t.NetworkMode != nil {
		switch m := *t.NetworkMode; m {
		case "host":
			r.Attrs["force-network-mode"] = m
			if !slices.Contains(r.Entitlements, entitlements.EntitlementNetworkHost.String()) {
				r.Entitlements = append(r.Entitlements, entitlements.EntitlementNetworkHost.String())
			}
		case "none":
			r.Attrs["force-network-mode"] = m
		case "", "default": // anything else is refused by bake's CheckBuild
		}
	}
	if hosts := extraHosts(t.ExtraHosts); hosts != "" {
		r.Attrs["add-hosts"] = hosts
	}
	if t.ShmSize != nil && *t.ShmSize != "" {
		n, err := units.RAMInBytes(*t.ShmSize) // checked by bake
		if err != nil {
			return err
		}
		if n > 0 {
			r.Attrs["shm-size"] = strconv.FormatInt(n, 10)
		}
	}
	if len(t.Ulimits) > 0 {
		byName := map[string]string{}
		for _, s := range t.Ulimits {
			u, err := units.ParseUlimit(s)
			if err != nil {
				return err
			}
			byName[u.Name] = u.String()
		}
		r.Attrs["ulimit"] = strings.Join(slices.Sorted(maps.Values(byName)), ",")
	}
	if t.Call != nil {
		c, err := buildflags.ParseCallFunc(*t.Call)
		if err != nil {
			return err
		}
		r.Call = c
	}
	if r.Call != nil {
		r.Attrs["requestid"] = "frontend." + r.Call.Name
		addCap(r.Attrs, "moby.buildkit.frontend.subrequests+forward")
	}
	return nil
}

// translateAttests sets attest:* attributes, with buildx's default of
// minimal inline provenance when the target says nothing about provenance.
func translateAttests(r *Request, t *Target, o Options) error {
	m := t.Attest.ToMap()
	for k, v := range m {
		if v != nil {
			r.Attrs["attest:"+k] = *v
		}
	}
	if _, ok := m["provenance"]; !ok {
		off := false
		if v, ok := o.env("BUILDX_NO_DEFAULT_ATTESTATIONS"); ok {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("invalid BUILDX_NO_DEFAULT_ATTESTATIONS: %w", err)
			}
			off = b
		}
		if !off {
			r.Attrs["attest:provenance"] = "mode=min,inline-only=true"
		}
	}
	return nil
}

// translateCache passes cache-from and cache-to through as BuildKit cache
// options; gha entries without a token and URL are dropped, as buildx does.
func translateCache(r *Request, t *Target, o Options) error {
	r.CacheImports = append(r.CacheImports, cacheEntries(t.CacheFrom, o)...)
	r.CacheExports = append(r.CacheExports, cacheEntries(t.CacheTo, o)...)
	return nil
}

func cacheEntries(in buildflags.CacheOptions, o Options) []client.CacheOptionsEntry {
	var out []client.CacheOptionsEntry
	for _, e := range in {
		if e == nil || e.Type == "" {
			continue
		}
		c := client.CacheOptionsEntry{Type: e.Type, Attrs: maps.Clone(e.Attrs)}
		if c.Attrs == nil {
			c.Attrs = map[string]string{}
		}
		if c.Type == "local" { // directories on this machine, like outputs
			for _, k := range []string{"src", "dest"} {
				if v := c.Attrs[k]; v != "" {
					c.Attrs[k] = o.abs(v)
				}
			}
		}
		if c.Type == "gha" && !ghaActive(c.Attrs, o) {
			continue
		}
		if c.Type == "s3" {
			addAWSCredentials(c.Attrs)
		}
		out = append(out, c)
	}
	return out
}

// ghaActive fills a gha cache entry from the GitHub Actions environment,
// as buildx's addGithubToken does, and reports whether it can be used.
func ghaActive(a map[string]string, o Options) bool {
	version, ok := a["version"]
	if !ok {
		if v, ok := o.env("ACTIONS_CACHE_SERVICE_V2"); ok && isTrue(v) {
			version = "2"
		}
	}
	fill := func(attr string, envs ...string) {
		if _, ok := a[attr]; ok {
			return
		}
		for _, e := range envs {
			if v, ok := o.env(e); ok {
				a[attr] = v
				return
			}
		}
	}
	fill("token", "ACTIONS_RUNTIME_TOKEN")
	if version == "2" {
		fill("url_v2", "ACTIONS_RESULTS_URL")
	}
	fill("url", "ACTIONS_CACHE_URL", "ACTIONS_RESULTS_URL")
	return a["token"] != "" && (a["url"] != "" || a["url_v2"] != "")
}

// translateSession records the secrets and SSH agents the build may use.
func translateSession(r *Request, t *Target, o Options) error {
	// bake refused secrets without an id and specs it cannot parse
	r.Secrets = append(r.Secrets, append(t.Secrets.Normalize(), t.RemoteSecrets()...)...)
	r.SSH = append(r.SSH, t.SSH.Normalize()...)
	return nil
}

// extraHosts is buildx's toBuildkitExtraHosts, except that host-gateway is
// kept as written (see HostGateway). bake's CheckBuild refused invalid hosts.
func extraHosts(in map[string]*string) string {
	var hosts []string
	for _, k := range slices.Sorted(maps.Keys(in)) {
		v := in[k]
		if v == nil {
			continue
		}
		if *v == HostGateway {
			hosts = append(hosts, k+"="+HostGateway)
			continue
		}
		for ip := range strings.SplitSeq(*v, ",") {
			if len(ip) > 2 && ip[0] == '[' && ip[len(ip)-1] == ']' {
				ip = ip[1 : len(ip)-1]
			}
			hosts = append(hosts, k+"="+ip)
		}
	}
	return strings.Join(hosts, ",")
}

func addCap(attrs map[string]string, c string) {
	caps := strings.Split(attrs["frontend.caps"], ",")
	if slices.Contains(caps, c) {
		return
	}
	caps = append(caps, c)
	caps = slices.DeleteFunc(caps, func(s string) bool { return s == "" })
	slices.Sort(caps)
	attrs["frontend.caps"] = strings.Join(caps, ",")
}

func isTrue(s string) bool {
	b, _ := strconv.ParseBool(s)
	return b
}

// isDir reports whether p names an existing directory.
func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
