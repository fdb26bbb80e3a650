package node

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/kiln-build/kiln/builder/engine"
	"github.com/moby/buildkit/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	// Schemes BuildKit's client reaches through a helper command.
	_ "github.com/moby/buildkit/client/connhelper/dockercontainer"
	_ "github.com/moby/buildkit/client/connhelper/kubepod"
	_ "github.com/moby/buildkit/client/connhelper/nerdctlcontainer"
	_ "github.com/moby/buildkit/client/connhelper/podmancontainer"
	_ "github.com/moby/buildkit/client/connhelper/ssh"
)

// OpenOptions are the knobs for Open. The zero value opens the embedded
// engine under the default state directory.
type OpenOptions struct {
	// Root is the embedded engine's state directory ("" means $KILN_ROOT,
	// else /var/lib/kiln).
	Root string
	// TLS for tcp:// addresses: CA certificate, client certificate and key
	// files, and the server name to verify. The same can be given in the
	// address: tcp://host:1234?ca=ca.pem&cert=cert.pem&key=key.pem&servername=name.
	CACert, Cert, Key, ServerName string
	// ConnectTimeout bounds the first call that checks a daemon answers
	// (default 20s).
	ConnectTimeout time.Duration
	// ServeAddr is where a kiln without root looks for `kiln engine serve`
	// when asked for the embedded engine ("" means engine.DefaultServeAddr).
	ServeAddr string
}

// DefaultSpec is the builder spec used when the user gives none.
const DefaultSpec = "embedded"

// Open connects to the node named by spec:
//
//	"embedded" or ""      the BuildKit engine inside this process (needs root);
//	                      if `kiln engine serve` holds the state directory, its socket;
//	                      without root, `kiln engine serve` on its default socket if it runs
//	"docker"              a Docker engine's built-in BuildKit ($DOCKER_HOST or /var/run/docker.sock)
//	unix://path, tcp://host:port, docker-container://name, kube-pod://name,
//	ssh://user@host, podman-container://, nerdctl-container://   a BuildKit daemon
func Open(ctx context.Context, spec string, opts OpenOptions) (Node, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		spec = DefaultSpec
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 20 * time.Second
	}
	switch spec {
	case "embedded":
		return openEmbedded(ctx, opts)
	case "docker":
		return openDocker(ctx, opts)
	}
	if !strings.Contains(spec, "://") {
		return nil, fmt.Errorf("builder %q: want \"embedded\", \"docker\" or a BuildKit address (unix://, tcp://, docker-container://, kube-pod://, ssh://)", spec)
	}
	return openRemote(ctx, spec, opts)
}

// embeddedNode is the engine running inside this process.
// Embedded reports whether n is the engine embedded in this process (no
// network between kiln and it: it needs no Watchdog).
func Embedded(n Node) bool {
	_, ok := n.(embeddedNode)
	return ok
}

type embeddedNode struct{ e *engine.Engine }

func (n embeddedNode) Name() string           { return "embedded" }
func (n embeddedNode) Client() *client.Client { return n.e.Client() }
func (n embeddedNode) Close() error           { return n.e.Close() }

func openEmbedded(ctx context.Context, opts OpenOptions) (Node, error) {
	e, err := engine.Start(ctx, engine.Options{Root: opts.Root})
	var locked *engine.LockedError
	if errors.As(err, &locked) && locked.Addr != "" {
		// `kiln engine serve` owns the state directory: use it.
		n, rerr := openRemote(ctx, locked.Addr, opts)
		if rerr != nil {
			return nil, fmt.Errorf("%v, and connecting to it failed: %w", err, rerr)
		}
		return renamed{Node: n, name: "embedded (kiln engine serve at " + locked.Addr + ")"}, nil
	}
	if errors.Is(err, engine.ErrNeedRoot) {
		return openServed(ctx, opts, err)
	}
	if err != nil {
		return nil, err
	}
	return embeddedNode{e}, nil
}

// openServed is the embedded engine for a kiln without root: the one
// `kiln engine serve --group ...` runs, if its socket is there.
func openServed(ctx context.Context, opts OpenOptions, needRoot error) (Node, error) {
	addr := opts.ServeAddr
	if addr == "" {
		addr = engine.DefaultServeAddr
	}
	if _, err := os.Stat(strings.TrimPrefix(addr, "unix://")); err != nil {
		return nil, needRoot
	}
	n, err := openRemote(ctx, addr, opts)
	if err != nil {
		return nil, fmt.Errorf("%w; and %s: %v", needRoot, addr, err)
	}
	return renamed{Node: n, name: "embedded (kiln engine serve at " + addr + ")"}, nil
}

type renamed struct {
	Node
	name string
}

func (r renamed) Name() string { return r.name }

// remoteNode is a BuildKit daemon reached over a connection.
type remoteNode struct {
	name string
	c    *client.Client
}

func (n remoteNode) Name() string           { return n.name }
func (n remoteNode) Client() *client.Client { return n.c }
func (n remoteNode) Close() error           { return n.c.Close() }

func openRemote(ctx context.Context, spec string, opts OpenOptions) (Node, error) {
	addr, copts, err := clientOptions(spec, opts)
	if err != nil {
		return nil, err
	}
	c, err := client.New(ctx, addr, copts...)
	if err != nil {
		return nil, fmt.Errorf("builder %s: %w", addr, err)
	}
	if err := ping(ctx, c, opts.ConnectTimeout); err != nil {
		c.Close()
		return nil, fmt.Errorf("builder %s: no BuildKit answering: %w", addr, err)
	}
	return remoteNode{name: addr, c: c}, nil
}

// clientOptions splits TLS settings given as query parameters off the
// address and merges them with opts.
func clientOptions(spec string, opts OpenOptions) (string, []client.ClientOpt, error) {
	u, err := url.Parse(spec)
	if err != nil {
		return "", nil, fmt.Errorf("builder address %q: %w", spec, err)
	}
	if q := u.Query(); len(q) > 0 && (u.Scheme == "tcp" || u.Scheme == "unix") {
		if q.Get("ca") != "" && q.Get("cacert") != "" {
			return "", nil, fmt.Errorf("builder address %q: give ca or cacert, not both", spec)
		}
		for _, p := range []struct {
			key string
			dst *string
		}{{"ca", &opts.CACert}, {"cacert", &opts.CACert}, {"cert", &opts.Cert}, {"key", &opts.Key}, {"servername", &opts.ServerName}} {
			if v := q.Get(p.key); v != "" {
				*p.dst = v
			}
			q.Del(p.key)
		}
		if len(q) > 0 {
			return "", nil, fmt.Errorf("builder address %q: unknown parameters %v (want ca, cert, key, servername)", spec, q)
		}
		u.RawQuery = ""
		spec = u.String()
	}
	copts := []client.ClientOpt{client.WithGRPCDialOption(grpc.WithKeepaliveParams(nodeKeepalive))}
	sn := opts.ServerName
	if sn == "" {
		sn = u.Hostname()
	}
	switch {
	case opts.CACert != "":
		copts = append(copts, client.WithServerConfig(sn, opts.CACert))
	case opts.ServerName != "" || opts.Cert != "" || opts.Key != "":
		// TLS without a CA file: verify the server against the system's CAs.
		copts = append(copts, client.WithServerConfigSystem(sn))
	}
	if opts.Cert != "" || opts.Key != "" {
		if opts.Cert == "" || opts.Key == "" {
			return "", nil, fmt.Errorf("builder %s: TLS needs both cert and key", spec)
		}
		copts = append(copts, client.WithCredentials(opts.Cert, opts.Key))
	}
	return spec, copts, nil
}

// nodeKeepalive has gRPC ping a connection with solves on it after 6
// minutes without a byte from the node, and drop it when the ping goes 30 s
// unanswered: a TCP peer that vanished is found even with no call under
// way. Not more often: grpc-go servers, buildkitd's included, allow one
// ping per 5 minutes by default and close the connection (GOAWAY
// too_many_pings) on the third early one. A frozen node is found sooner
// by Run's liveness probe (watchdog).
var nodeKeepalive = keepalive.ClientParameters{Time: 6 * time.Minute, Timeout: 30 * time.Second}

// ping fails fast when nothing speaks BuildKit at the address. ListWorkers
// is old enough for every daemon, Docker's built-in BuildKit included.
func ping(ctx context.Context, c *client.Client, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := c.ListWorkers(ctx)
	return err
}

func openDocker(ctx context.Context, opts OpenOptions) (Node, error) {
	c, host, err := engine.DockerClient(ctx, "")
	if err != nil {
		return nil, err
	}
	if err := ping(ctx, c, opts.ConnectTimeout); err != nil {
		c.Close()
		return nil, fmt.Errorf("docker builder %s: the Docker engine's BuildKit does not answer: %w", host, err)
	}
	return remoteNode{name: "docker", c: c}, nil
}
