package request

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"

	"github.com/docker/cli/cli/config"
	"github.com/kiln-build/kiln/internal/atomicfile"
)

// defaultDockerHost is the daemon address the docker CLI uses when neither
// DOCKER_HOST nor a context names one.
const defaultDockerHost = "unix:///var/run/docker.sock"

// ProxyArgs are the build args buildx derives from the `proxies` section
// of the Docker config file (storeutil.GetProxyConfig): the entry keyed by
// the Docker daemon host, else "default"; only these four keys, upper
// case. They are added to a target that sets none of them itself.
func ProxyArgs(lookupEnv func(string) (string, bool)) map[string]string {
	cfg, err := config.Load(dockerConfigDir(lookupEnv))
	if err != nil {
		return nil // as LoadDefaultConfigFile: an unreadable file gives no proxies
	}
	host := defaultDockerHost
	if v, ok := lookupEnv("DOCKER_HOST"); ok && v != "" {
		host = v
	}
	proxy, ok := cfg.Proxies[host]
	if !ok {
		proxy = cfg.Proxies["default"]
	}
	m := map[string]string{}
	for k, v := range map[string]string{
		"HTTP_PROXY":  proxy.HTTPProxy,
		"HTTPS_PROXY": proxy.HTTPSProxy,
		"NO_PROXY":    proxy.NoProxy,
		"FTP_PROXY":   proxy.FTPProxy,
	} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// NodeID is buildx's client identifier (confutil.TryNodeIdentifier): the
// random hex string in .buildNodeID of buildx's config directory
// ($BUILDX_CONFIG, else buildx/ beside the Docker config file), created
// there when missing. BuildKit appends it to shared keys so that transfers
// of the same folder from the same machine are reused; sharing the file
// with buildx keeps kiln's keys, and so its provenance, identical to
// buildx's. "" when the directory cannot be written, as in buildx.
func NodeID(lookupEnv func(string) (string, bool)) string {
	dir, _ := lookupEnv("BUILDX_CONFIG")
	if dir == "" {
		dir = filepath.Join(dockerConfigDir(lookupEnv), "buildx")
	}
	p := filepath.Join(dir, ".buildNodeID")
	if _, err := os.Lstat(p); os.IsNotExist(err) {
		b := make([]byte, 8)
		if _, err := rand.Read(b); err != nil {
			return ""
		}
		if err := writeFileAtomic(p, []byte(hex.EncodeToString(b)), 0o600); err != nil {
			return ""
		}
	}
	dt, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return string(dt)
}

// dockerConfigDir is $DOCKER_CONFIG, else the docker CLI's default. It is
// read through lookupEnv because config.Dir caches the first answer.
func dockerConfigDir(lookupEnv func(string) (string, bool)) string {
	if v, ok := lookupEnv("DOCKER_CONFIG"); ok && v != "" {
		return v
	}
	return config.Dir()
}

func writeFileAtomic(p string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-"+filepath.Base(p))
	if err != nil {
		return err
	}
	return atomicfile.Commit(f, p, perm, func(w io.Writer) error { _, err := w.Write(data); return err })
}
