package builder

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// hostGatewayName in extra-hosts stands for the IP of the host the
// builder's daemon runs on, as in `docker run --add-host`.
const hostGatewayName = "host-gateway"

// hostGatewayLabel is the worker label a Docker daemon's BuildKit
// publishes its host-gateway IP under (moby's worker/label.HostGatewayIP).
const hostGatewayLabel = "org.mobyproject.buildkit.worker.moby.host-gateway-ip"

// ResolveHostGateway replaces host-gateway in the requests' add-hosts with
// the IP the node's workers publish, as buildx's docker driver does. A node
// without that label (the embedded engine, kiln engine serve, a BuildKit
// daemon) fails as buildx's remote and docker-container drivers do; the
// workers are listed only when a request needs them.
func ResolveHostGateway(ctx context.Context, node Node, reqs []*Request) error {
	var ip string
	var ipErr error
	listed := false
	for _, r := range reqs {
		v, ok := r.Attrs["add-hosts"]
		if !ok || !strings.Contains(v, "="+hostGatewayName) {
			continue
		}
		if !listed {
			ip, ipErr = hostGatewayIP(ctx, node)
			listed = true
		}
		if ipErr != nil {
			return fmt.Errorf("target %q: unable to derive the IP value for host-gateway: %w", r.Target, ipErr)
		}
		hosts := strings.Split(v, ",")
		for i, h := range hosts {
			if name, val, _ := strings.Cut(h, "="); val == hostGatewayName {
				hosts[i] = name + "=" + ip
			}
		}
		r.Attrs["add-hosts"] = strings.Join(hosts, ",")
	}
	return nil
}

func hostGatewayIP(ctx context.Context, node Node) (string, error) {
	ws, err := node.Client().ListWorkers(ctx)
	if err != nil {
		return "", fmt.Errorf("listing workers: %w", err)
	}
	for _, w := range ws {
		if v := w.Labels[hostGatewayLabel]; v != "" {
			if net.ParseIP(v) == nil {
				return "", fmt.Errorf("failed to parse host-gateway IP: %s", v)
			}
			return v, nil
		}
	}
	return "", errors.New("host-gateway is not supported by " + node.Name() + ": its workers publish no " + hostGatewayLabel + " label")
}
