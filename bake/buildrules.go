package bake

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/distribution/reference"
)

// CheckBuild applies to targets (those of p that will be built; all of
// them when nil) the rules buildx applies when it
// turns a target into a solve (build/opt.go toSolveOpt) that need nothing
// but the target: a BUILDKIT_SYNTAX arg, tags, a push without a tag, the
// network mode, extra hosts. buildx applies them after --print, so Load
// does not; the build path calls this before anything is built. Errors
// are placed as Load's are.
func (p *Plan) CheckBuild(targets map[string]*Target) error {
	if targets == nil {
		targets = p.Targets
	}
	for _, name := range sortedKeys(targets) {
		if err := targets[name].checkBuild(); err != nil {
			return p.checkErrorAt(name, err)
		}
	}
	return nil
}

// checkBuild checks in buildx's order.
func (t *Target) checkBuild() error {
	if v, ok := t.Args["BUILDKIT_SYNTAX"]; ok && v != nil && strings.TrimSpace(*v) == "" {
		return &specError{attr: "args", key: "BUILDKIT_SYNTAX",
			err: fmt.Errorf("empty BUILDKIT_SYNTAX build-arg is invalid, use --build-arg BUILDKIT_SYNTAX without '=' for optional behavior")}
	}
	for _, tag := range t.Tags {
		if _, err := reference.Parse(tag); err != nil {
			return &specError{attr: "tags", elem: func(lit string) bool { return lit == tag }, err: fmt.Errorf("invalid tag %q: %w", tag, err)}
		}
	}
	if len(t.Tags) == 0 {
		for _, o := range t.Outputs {
			if o.Type != "image" && o.Type != "registry" || o.Attrs["name"] != "" {
				continue
			}
			// registry is an image output that pushes
			if push, _ := strconv.ParseBool(o.Attrs["push"]); push || o.Type == "registry" {
				return &specError{attr: "output", elem: sameSpec(o), err: fmt.Errorf("tag is needed when pushing to registry")}
			}
		}
	}
	if t.NetworkMode != nil {
		switch m := *t.NetworkMode; m {
		case "host", "none", "", "default":
		default:
			return bad("network", fmt.Errorf("network mode %q not supported by buildkit - you can define a custom network for your builder using the network driver-opt in buildx create", m))
		}
	}
	for _, k := range sortedKeys(t.ExtraHosts) {
		if v := t.ExtraHosts[k]; v != nil {
			if err := checkExtraHost(k, *v); err != nil {
				return &specError{attr: "extra-hosts", key: k, err: err}
			}
		}
	}
	return nil
}

// checkExtraHost is buildx's toBuildkitExtraHosts for one entry, which
// buildx writes as key=value first; host-gateway is resolved once the node
// is known.
func checkExtraHost(key, value string) error {
	h := key + "=" + value
	host, ip, _ := strings.Cut(h, "=")
	if host == "" || ip == "" {
		return fmt.Errorf("invalid host %s", h)
	}
	if ip == "host-gateway" {
		return nil
	}
	for v := range strings.SplitSeq(ip, ",") {
		if len(v) > 2 && v[0] == '[' && v[len(v)-1] == ']' {
			v = v[1 : len(v)-1]
		}
		if net.ParseIP(v) == nil {
			return fmt.Errorf("invalid host %s", h)
		}
	}
	return nil
}
