package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/moby/buildkit/client"
)

// DefaultDockerHost is where a Docker engine listens unless DOCKER_HOST says.
const DefaultDockerHost = "unix:///var/run/docker.sock"

// DockerClient connects to the BuildKit built into a Docker engine, as
// buildx's docker driver does: the engine upgrades POST /grpc to a raw
// HTTP/2 (h2c) stream for the BuildKit API, and POST /session for the
// build session. Only unix sockets are supported.
func DockerClient(ctx context.Context, host string) (*client.Client, string, error) {
	if host == "" {
		host = os.Getenv("DOCKER_HOST")
	}
	if host == "" {
		host = DefaultDockerHost
	}
	u, err := url.Parse(host)
	if err != nil || u.Scheme != "unix" {
		return nil, host, fmt.Errorf("docker builder: DOCKER_HOST %q: only unix:// sockets are supported", host)
	}
	sock := u.Path
	if _, err := os.Stat(sock); err != nil {
		return nil, host, fmt.Errorf("docker builder: no Docker engine at %s (%v); use --builder embedded or a BuildKit address", host, err)
	}
	c, err := client.New(ctx, "", client.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
		return dockerUpgrade(ctx, sock, "/grpc", nil)
	}), client.WithSessionDialer(func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
		return dockerUpgrade(ctx, sock, "/session", meta)
	}))
	if err != nil {
		return nil, host, fmt.Errorf("docker builder %s: %w", host, err)
	}
	return c, host, nil
}

// dockerUpgrade asks the engine on sock to hijack an HTTP connection to endpoint.
func dockerUpgrade(ctx context.Context, sock, endpoint string, header map[string][]string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return nil, fmt.Errorf("dial docker engine %s: %w", sock, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://docker"+endpoint, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "h2c")
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("docker engine %s%s: %w", sock, endpoint, err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("docker engine %s%s: %w", sock, endpoint, err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		conn.Close()
		return nil, fmt.Errorf("docker engine %s%s: %s: %s", sock, endpoint, resp.Status, strings.TrimSpace(string(body)))
	}
	return &bufferedConn{Conn: conn, r: br}, nil
}

// bufferedConn reads first what the HTTP reader already buffered.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
