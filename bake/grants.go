package bake

import (
	"slices"

	"github.com/docker/buildx/util/buildflags"
)

// overrideGrants records what a target's --set overrides granted: buildx
// treats a path or entitlement typed on the command line as allowed (its
// AddOverrides appends them to the EntitlementConf), so `--set
// *.output=type=local,dest=/tmp/out` needs no --allow fs.write.
type overrideGrants struct {
	fsRead, fsWrite               []string
	networkHost, securityInsecure bool
}

func (g *overrideGrants) cacheFrom(entries buildflags.CacheOptions) {
	for _, c := range entries {
		if v, ok := c.Attrs["src"]; ok && c.Type == "local" {
			g.fsRead = append(g.fsRead, v)
		}
	}
}

func (g *overrideGrants) cacheTo(entries buildflags.CacheOptions) {
	for _, c := range entries {
		if v, ok := c.Attrs["dest"]; ok && c.Type == "local" {
			g.fsWrite = append(g.fsWrite, v)
		}
	}
}

func (g *overrideGrants) ssh(specs buildflags.SSHKeys) {
	for _, s := range specs {
		g.fsRead = append(g.fsRead, s.Paths...)
	}
}

func (g *overrideGrants) outputs(outputs buildflags.Exports) {
	for _, o := range outputs {
		if o.Destination != "" {
			g.fsWrite = append(g.fsWrite, o.Destination)
		}
	}
}

func (g *overrideGrants) entitlements(values []string) {
	for _, v := range values {
		switch v {
		case "network.host":
			g.networkHost = true
		case "security.insecure":
			g.securityInsecure = true
		}
	}
}

// secrets grants the files of the secrets whose ids --set named.
func (g *overrideGrants) secrets(secrets buildflags.Secrets, ids []string) {
	for _, s := range secrets {
		if s.FilePath != "" && slices.Contains(ids, s.ID) {
			g.fsRead = append(g.fsRead, s.FilePath)
		}
	}
}
