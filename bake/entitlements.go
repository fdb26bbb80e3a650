package bake

import (
	"slices"
	"strings"

	"github.com/pkg/errors"
	"github.com/tonistiigi/go-csvvalue"
)

// MissingEntitlements lists, as --allow values, the privileges the plan's
// targets request (network.host, security.insecure, device, and
// buildx.local.delete for local outputs with mode=delete) that allow does
// not grant. Filesystem entitlements (fs.read/fs.write) are not checked:
// buildx only warns about them unless BUILDX_BAKE_ENTITLEMENTS_FS is set.
func (p *Plan) MissingEntitlements(allow []string) ([]string, error) {
	if err := checkAllow(allow); err != nil {
		return nil, err
	}
	granted := map[string]bool{}
	allDevices := false
	for _, a := range allow {
		granted[a] = true
		if a == "device" {
			allDevices = true
		}
	}
	var missing []string
	need := func(e string) {
		if !granted[e] && !slices.Contains(missing, e) {
			missing = append(missing, e)
		}
	}
	for _, name := range sortedKeys(p.Targets) {
		t := p.Targets[name]
		for _, e := range t.Entitlements {
			k, rest, _ := strings.Cut(e, "=")
			switch {
			case e == "network.host" || e == "security.insecure":
				need(e)
			case k == "device" && rest == "":
				if !allDevices {
					need("device")
				}
			case k == "device":
				fields, err := csvvalue.Fields(rest, nil)
				if err != nil {
					return nil, errors.Wrapf(err, "target %s: failed to parse device entitlement %q", name, rest)
				}
				if !allDevices {
					need("device=" + fields[0])
				}
			}
		}
		for _, o := range t.Outputs {
			if o.Type == "local" && o.Attrs["mode"] == "delete" {
				need("buildx.local.delete")
			}
		}
	}
	return missing, nil
}

// CheckEntitlements fails, as a non-interactive buildx does, when the plan
// needs privileges that allow does not grant.
func (p *Plan) CheckEntitlements(allow []string) error {
	missing, err := p.MissingEntitlements(allow)
	if err != nil || len(missing) == 0 {
		return err
	}
	flags := make([]string, len(missing))
	for i, m := range missing {
		flags[i] = "--allow=" + m
	}
	return errors.Errorf("additional privileges requested: pass %q to grant requested privileges", strings.Join(flags, " "))
}
