package bake

import (
	"fmt"
	"strings"

	"github.com/tonistiigi/go-csvvalue"
)

// Entitlements is what --allow grants, or what a plan still needs beyond
// it, in buildx's EntitlementConf terms.
type Entitlements struct {
	NetworkHost       bool
	SecurityInsecure  bool
	AllDevices        bool
	Devices           []string // device names, in the order first seen
	FSRead            []string
	FSWrite           []string
	SSH               bool // forwarding the default agent socket
	LocalOutputDelete bool
}

// ParseAllow reads --allow values as buildx ParseEntitlements does:
// fs=PATH grants both fs.read and fs.write, PATH may be "*".
func ParseAllow(in []string) (Entitlements, error) {
	var e Entitlements
	for _, v := range in {
		switch v {
		case "network.host":
			e.NetworkHost = true
			continue
		case "security.insecure":
			e.SecurityInsecure = true
			continue
		case "ssh":
			e.SSH = true
			continue
		case "buildx.local.delete":
			e.LocalOutputDelete = true
			continue
		}
		k, val, _ := strings.Cut(v, "=")
		switch k {
		case "device":
			if val == "" {
				e.AllDevices = true
				continue
			}
			fields, err := csvvalue.Fields(val, nil)
			if err != nil {
				return Entitlements{}, fmt.Errorf("failed to parse device entitlement %q: %w", val, err)
			}
			e.addDevice(fields[0])
		case "fs.read":
			e.FSRead = append(e.FSRead, val)
		case "fs.write":
			e.FSWrite = append(e.FSWrite, val)
		case "fs":
			e.FSRead = append(e.FSRead, val)
			e.FSWrite = append(e.FSWrite, val)
		case "image.push", "image.load", "image":
			// buildx parses these and checks nothing with them
		case "buildx.local.delete":
			return e, fmt.Errorf("%s does not accept a value", k)
		default:
			return e, fmt.Errorf("unknown entitlement key %q", k)
		}
	}
	return e, nil
}

func (e *Entitlements) addDevice(d string) {
	for _, have := range e.Devices {
		if have == d {
			return
		}
	}
	e.Devices = append(e.Devices, d)
}
