package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// DefaultServeAddr is where `kiln engine serve` listens by default, and
// where a kiln process finding the state directory busy looks for it.
const DefaultServeAddr = "unix:///run/kiln/buildkitd.sock"

// Listen opens addr for Serve: unix:///path (the directory is created; a
// stale socket file nobody answers on is replaced) or tcp://host:port,
// wrapped in TLS when tlsConf is set.
func Listen(addr string, tlsConf *tls.Config) (net.Listener, error) {
	u, err := url.Parse(addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	switch u.Scheme {
	case "unix":
		path := u.Path
		if path == "" {
			path = u.Host + u.Opaque
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("listen %s: %w", addr, err)
		}
		if _, err := os.Stat(path); err == nil {
			if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
				c.Close()
				return nil, fmt.Errorf("listen %s: another server is answering on it", addr)
			}
			os.Remove(path)
		}
		l, err := net.Listen("unix", path)
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", addr, err)
		}
		// Like buildkitd: root and the socket's group may connect.
		if err := os.Chmod(path, 0o660); err != nil {
			l.Close()
			return nil, fmt.Errorf("listen %s: %w", addr, err)
		}
		return l, nil
	case "tcp":
		l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", u.Host)
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", addr, err)
		}
		if tlsConf != nil {
			l = tls.NewListener(l, tlsConf)
		}
		return l, nil
	}
	return nil, fmt.Errorf("listen address %q: want unix:///path or tcp://host:port", addr)
}

// ServerTLS is buildkitd's TLS setup: a server certificate and key, and,
// with a CA, mutual TLS requiring client certificates signed by it.
func ServerTLS(certFile, keyFile, caFile string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, fmt.Errorf("TLS: both a certificate and a key are needed")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS key pair: %w", err)
	}
	conf := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("TLS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS CA %s: no certificates found", caFile)
		}
		conf.ClientAuth = tls.RequireAndVerifyClientCert
		conf.ClientCAs = pool
	}
	return conf, nil
}

// ChownSocket gives a unix socket address's group to gid, so members of
// that group may use the engine without root (buildkitd's --group).
func ChownSocket(addr string, gid int) error {
	u, err := url.Parse(addr)
	if err != nil || u.Scheme != "unix" {
		return fmt.Errorf("--group applies to unix:// addresses, not %q", addr)
	}
	if err := os.Chown(u.Path, 0, gid); err != nil {
		return fmt.Errorf("socket group: %w", err)
	}
	return nil
}
