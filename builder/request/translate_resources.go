package request

import (
	"strconv"
	"strings"

	units "github.com/docker/go-units"
)

// resourceAttrs maps `resources` keys (docker run's names) to the frontend
// attributes BuildKit's dockerui reads, as buildx's ParseResourceLimits and
// addResourceLimits do.
var resourceAttrs = map[string]string{
	"memory":      "memory",
	"memory-swap": "memswap",
	"cpu-shares":  "cpushares",
	"cpu-period":  "cpuperiod",
	"cpu-quota":   "cpuquota",
	"cpuset-cpus": "cpusetcpus",
	"cpuset-mems": "cpusetmems",
}

// translateResources sets per-step (RUN) cgroup limits; only non-zero
// values are sent, so daemons without the feature keep working.
func translateResources(r *Request, t *Target, o Options) error {
	for _, entry := range t.Resources.ToEntries() {
		k, v, _ := strings.Cut(entry, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		attr := resourceAttrs[k] // ToEntries yields known keys only
		var n int64
		var err error
		switch k {
		case "memory":
			n, err = units.RAMInBytes(v)
		case "memory-swap":
			if v == "-1" {
				n = -1
			} else {
				n, err = units.RAMInBytes(v)
			}
		case "cpu-shares", "cpu-period", "cpu-quota":
			n, err = strconv.ParseInt(v, 10, 64)
		default: // cpuset-cpus, cpuset-mems
			if v != "" {
				r.Attrs[attr] = v
			}
			continue
		}
		if err != nil {
			return err // bake refused invalid values with their position
		}
		if n > 0 || k == "memory-swap" && n != 0 {
			r.Attrs[attr] = strconv.FormatInt(n, 10)
		}
	}
	return nil
}
