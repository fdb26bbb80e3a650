package engine

import (
	"fmt"
	"slices"

	"github.com/moby/buildkit/util/entitlements"
)

// insecureEntitlements are the names buildkitd's --allow-insecure-entitlement
// accepts. Allowing one on the controller lets any solve that asks for it
// (--allow) run as root on the host: no seccomp, all capabilities
// (security.insecure), the host's network (network.host), host devices
// (device; kiln has no CDI registry, so it grants nothing there today).
var insecureEntitlements = []string{"network.host", "security.insecure", "device"}

// CheckEntitlements refuses a name buildkitd would refuse, before anything
// is started.
func CheckEntitlements(ents []string) error {
	for _, e := range ents {
		if !slices.Contains(insecureEntitlements, e) {
			return fmt.Errorf("unknown insecure entitlement %q (want network.host, security.insecure or device)", e)
		}
	}
	return nil
}

// checkConfigEntitlements validates buildkitd.toml's insecure-entitlements
// as BuildKit parses them ("device=name" included), so a typo fails the
// start instead of every solve.
func checkConfigEntitlements(ents []string) error {
	for _, e := range ents {
		if _, _, err := entitlements.Parse(e); err != nil {
			return fmt.Errorf("insecure-entitlements: %w", err)
		}
	}
	return nil
}

// allowedEntitlements is buildkitd's precedence: the flag replaces the
// config; without either, the engine kind's default.
func allowedEntitlements(config []string, opts Options) []string {
	switch {
	case opts.Entitlements != nil:
		return slices.Clone(opts.Entitlements)
	case config != nil:
		return config
	case opts.Daemon:
		return nil
	}
	// Docker's built-in BuildKit allows network.host unless its
	// configuration says otherwise, and security.insecure only when it does.
	return []string{"network.host"}
}
