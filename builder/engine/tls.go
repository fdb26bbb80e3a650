package engine

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
)

// TLSFiles are the served engine's TLS settings (buildkitd's --tlscert,
// --tlskey, --tlscacert). With all three, TCP clients must present a
// certificate signed by CA: mutual TLS, the only authentication a TCP
// address has.
type TLSFiles struct {
	Cert, Key, CA string
}

func (f TLSFiles) set() bool    { return f.Cert != "" || f.Key != "" || f.CA != "" }
func (f TLSFiles) mutual() bool { return f.Cert != "" && f.Key != "" && f.CA != "" }

// CheckServeSecurity decides, before anything listens, whether addrs may be
// served with f, and returns the warnings to print on every start. Whoever
// connects can run builds as root in containers (and as root on the host
// with an insecure entitlement allowed), so:
//   - a TCP address that is not loopback needs mutual TLS, unless
//     insecureTCP says the operator accepts anyone who can reach it;
//   - a loopback TCP address without mutual TLS is open to every local
//     user: served, with a warning;
//   - TLS settings are all-or-nothing where buildkitd is lax: a CA without
//     a certificate and key, or a certificate without a key, is an error
//     (buildkitd ignores a lone CA and serves plain text); TLS settings
//     with no tcp:// address to apply them to are an error too (buildkitd
//     warns: unix sockets are guarded by their file mode and --group).
func CheckServeSecurity(addrs []string, f TLSFiles, insecureTCP bool) (warnings []string, err error) {
	switch {
	case (f.Cert == "") != (f.Key == ""):
		return nil, errors.New("--tlscert and --tlskey go together: give both or neither")
	case f.CA != "" && f.Cert == "":
		return nil, errors.New("--tlscacert needs --tlscert and --tlskey: the engine must present its own certificate to the clients it authenticates")
	}
	anyTCP := false
	for _, a := range addrs {
		u, err := url.Parse(a)
		if err != nil || u.Scheme != "tcp" {
			continue // Listen reports bad addresses
		}
		anyTCP = true
		if f.mutual() {
			continue
		}
		switch {
		case isLoopback(u.Hostname()):
			warnings = append(warnings, fmt.Sprintf("%s has no mutual TLS: every local user who can connect can build as root on this host; give --tlscert, --tlskey and --tlscacert", a))
		case !insecureTCP:
			return nil, fmt.Errorf("%s is not a loopback address and mutual TLS is not configured: anyone who can reach it could build as root on this host; give --tlscert, --tlskey and --tlscacert, or --insecure-tcp to accept that", a)
		default:
			warnings = append(warnings, fmt.Sprintf("%s is served without mutual TLS (--insecure-tcp): anyone who can reach it can build as root on this host", a))
		}
	}
	if f.set() && !anyTCP {
		return nil, errors.New("--tlscert, --tlskey and --tlscacert apply to tcp:// addresses, and no --addr is one (a unix socket is guarded by its file mode and --group)")
	}
	return warnings, nil
}

// isLoopback: "localhost" or a loopback IP. A host name is not resolved:
// it counts as reachable from the network.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ServerTLS is buildkitd's TLS setup (serverCredentials): a server
// certificate and key and, with a CA, mutual TLS requiring client
// certificates signed by it. nil without a certificate or key.
func ServerTLS(certFile, keyFile, caFile string) (*tls.Config, error) {
	switch {
	case certFile == "" && keyFile == "" && caFile == "":
		return nil, nil
	case certFile == "" || keyFile == "":
		return nil, errors.New("TLS: both a certificate and a key are needed")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS key pair %s, %s: %w", certFile, keyFile, err)
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
