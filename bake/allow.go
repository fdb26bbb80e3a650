package bake

import (
	"strings"

	"github.com/pkg/errors"
	"github.com/tonistiigi/go-csvvalue"
)

// checkAllow rejects --allow values buildx does not know.
func checkAllow(in []string) error {
	for _, e := range in {
		switch e {
		case "network.host", "security.insecure", "ssh", "buildx.local.delete":
			continue
		}
		k, v, _ := strings.Cut(e, "=")
		switch k {
		case "device":
			if v != "" {
				if _, err := csvvalue.Fields(v, nil); err != nil {
					return errors.Wrapf(err, "failed to parse device entitlement %q", v)
				}
			}
		case "fs.read", "fs.write", "fs", "image.push", "image.load", "image":
		case "buildx.local.delete":
			return errors.Errorf("%s does not accept a value", k)
		default:
			return errors.Errorf("unknown entitlement key %q", k)
		}
	}
	return nil
}
