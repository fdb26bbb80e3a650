package pool

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// BuildxConfigDir is where buildx keeps its builders: $BUILDX_CONFIG, else
// the buildx folder beside the Docker config ($DOCKER_CONFIG, ~/.docker).
func BuildxConfigDir(lookupEnv func(string) (string, bool)) string {
	if d, ok := lookupEnv("BUILDX_CONFIG"); ok && d != "" {
		return d
	}
	if d, ok := lookupEnv("DOCKER_CONFIG"); ok && d != "" {
		return filepath.Join(d, "buildx")
	}
	home, _ := lookupEnv("HOME")
	return filepath.Join(home, ".docker", "buildx")
}

// buildxNodeGroup is the part of buildx's store.NodeGroup (the JSON in
// instances/NAME) a pool needs.
type buildxNodeGroup struct {
	Name   string
	Driver string
	Nodes  []struct {
		Name       string
		Endpoint   string
		Platforms  []ocispecs.Platform
		DriverOpts map[string]string
	}
}

// ErrNoBuildxBuilder is returned when buildx has no builder of that name.
var ErrNoBuildxBuilder = errors.New("no such buildx builder")

// FromBuildx reads builder name from buildx's store in dir, as buildx would
// use it: a remote driver's endpoints with their TLS files, a
// docker-container driver's containers, each node's --platform list as the
// platforms it builds natively.
func FromBuildx(dir, name string) (*Pool, error) {
	file := filepath.Join(dir, "instances", strings.ToLower(name))
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("builder %q: %w (looked in %s)", name, ErrNoBuildxBuilder, filepath.Dir(file))
	}
	if err != nil {
		return nil, fmt.Errorf("builder %q: %w", name, err)
	}
	var ng buildxNodeGroup
	if err := json.Unmarshal(data, &ng); err != nil {
		return nil, fmt.Errorf("builder %q: %s: %w", name, file, err)
	}
	p := &Pool{}
	for _, n := range ng.Nodes {
		node := Node{Name: n.Name}
		for _, pl := range n.Platforms {
			node.Platforms = append(node.Platforms, platforms.Format(pl))
		}
		switch ng.Driver {
		case "remote":
			node.Address = n.Endpoint
			tls, err := remoteTLS(n.Endpoint, n.DriverOpts)
			if err != nil {
				return nil, fmt.Errorf("builder %q node %q: %w", name, n.Name, err)
			}
			node.TLS = tls
		case "docker-container":
			node.Address = "docker-container://buildx_buildkit_" + n.Name
		case "docker":
			node.Address = "docker"
		default:
			return nil, fmt.Errorf("builder %q: the %s driver is not supported (remote, docker-container and docker are)", name, ng.Driver)
		}
		p.Nodes = append(p.Nodes, node)
	}
	if len(p.Nodes) == 0 {
		return nil, fmt.Errorf("builder %q has no nodes", name)
	}
	return p, nil
}

// remoteTLS reads the remote driver's TLS options as buildx does: any of
// them turns TLS on, servername defaults to the endpoint's host, and a CA
// is then required.
func remoteTLS(endpoint string, opts map[string]string) (TLS, error) {
	t := TLS{CA: opts["cacert"], Cert: opts["cert"], Key: opts["key"], ServerName: opts["servername"]}
	if !t.Enabled() {
		return t, nil
	}
	if t.ServerName == "" {
		u, err := url.Parse(endpoint)
		if err != nil {
			return t, err
		}
		t.ServerName = u.Hostname()
	}
	var missing []string
	if t.CA == "" {
		missing = append(missing, "cacert")
	}
	if t.Cert != "" && t.Key == "" {
		missing = append(missing, "key")
	}
	if t.Key != "" && t.Cert == "" {
		missing = append(missing, "cert")
	}
	if len(missing) > 0 {
		return t, fmt.Errorf("tls enabled, but missing keys %s", strings.Join(missing, ", "))
	}
	return t, nil
}
