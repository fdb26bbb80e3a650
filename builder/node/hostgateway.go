package node

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/kiln-build/kiln/builder/request"
)

// hostGatewayLabel is the worker label a Docker daemon's BuildKit
// publishes its host-gateway IP under (moby's worker/label.HostGatewayIP).
const hostGatewayLabel = "org.mobyproject.buildkit.worker.moby.host-gateway-ip"

// HostGatewayIP is the IP the node's workers publish for host-gateway, as
// buildx's docker driver uses it, or "" when no request names host-gateway
// (the workers are then not listed). A node without that label (the
// embedded engine, kiln engine serve, a BuildKit daemon) fails as buildx's
// remote and docker-container drivers do, naming the first such target.
func HostGatewayIP(ctx context.Context, node Node, reqs []*request.Request) (string, error) {
	for _, r := range reqs {
		if !r.UsesHostGateway() {
			continue
		}
		ip, err := hostGatewayIP(ctx, node)
		if err != nil {
			return "", fmt.Errorf("target %q: unable to derive the IP value for host-gateway: %w", r.Target, err)
		}
		return ip, nil
	}
	return "", nil
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
