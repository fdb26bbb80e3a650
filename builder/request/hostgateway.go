package request

import "strings"

// HostGateway in extra-hosts stands for the IP of the host the builder's
// daemon runs on, as in `docker run --add-host`. Translate keeps it as
// written: the IP is known only once the node is (node.HostGatewayIP), and
// the solve puts it in (WithHostGateway).
const HostGateway = "host-gateway"

// UsesHostGateway reports whether an extra host of r is host-gateway.
func (r *Request) UsesHostGateway() bool {
	return strings.Contains(r.Attrs["add-hosts"], "="+HostGateway)
}

// WithHostGateway is the add-hosts attribute value hosts with host-gateway
// replaced by ip.
func WithHostGateway(hosts, ip string) string {
	hs := strings.Split(hosts, ",")
	for i, h := range hs {
		if name, val, _ := strings.Cut(h, "="); val == HostGateway {
			hs[i] = name + "=" + ip
		}
	}
	return strings.Join(hs, ",")
}
