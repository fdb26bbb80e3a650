package node

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/builder/engine"
	"github.com/moby/buildkit/client"
)

func requireEngine(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the embedded engine needs root")
	}
}

func workerID(t *testing.T, c *client.Client) string {
	t.Helper()
	ws, err := c.ListWorkers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) == 0 {
		t.Fatal("no workers")
	}
	return ws[0].ID
}

func TestOpenEmbeddedTwice(t *testing.T) {
	requireEngine(t)
	root := t.TempDir()
	for i := 0; i < 2; i++ {
		n, err := Open(context.Background(), "", OpenOptions{Root: root})
		if err != nil {
			t.Fatal(err)
		}
		if n.Name() != "embedded" {
			t.Errorf("name %q", n.Name())
		}
		workerID(t, n.Client())
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// serve runs an engine on root, served on addr's listener.
func serve(t *testing.T, root, addr string, l net.Listener) *engine.Engine {
	t.Helper()
	e, err := engine.Start(context.Background(), engine.Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if addr != "" {
		if err := e.Advertise(addr); err != nil {
			t.Fatal(err)
		}
	}
	go e.Serve(l)
	return e
}

func TestOpenEmbeddedHandsOffToServe(t *testing.T) {
	requireEngine(t)
	root := t.TempDir()
	addr := "unix://" + filepath.Join(t.TempDir(), "kiln.sock")
	l, err := engine.Listen(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := serve(t, root, addr, l)

	n, err := Open(context.Background(), "embedded", OpenOptions{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if !strings.Contains(n.Name(), "kiln engine serve at "+addr) {
		t.Errorf("name %q does not say it went to the served engine", n.Name())
	}
	if got, want := workerID(t, n.Client()), workerID(t, e.Client()); got != want {
		t.Errorf("connected to worker %s, the served engine's is %s", got, want)
	}
}

func TestOpenUnixAndTCP(t *testing.T) {
	requireEngine(t)
	root := t.TempDir()
	sock := "unix://" + filepath.Join(t.TempDir(), "kiln.sock")
	lu, err := engine.Listen(sock, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := serve(t, root, "", lu)
	lt, err := engine.Listen("tcp://127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	go e.Serve(lt)
	want := workerID(t, e.Client())
	for _, addr := range []string{sock, "tcp://" + lt.Addr().String()} {
		n, err := Open(context.Background(), addr, OpenOptions{})
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		if n.Name() != addr {
			t.Errorf("name %q, want %q", n.Name(), addr)
		}
		if got := workerID(t, n.Client()); got != want {
			t.Errorf("%s: worker %s, want %s", addr, got, want)
		}
		n.Close()
	}
}

func TestOpenTCPWithMutualTLS(t *testing.T) {
	requireEngine(t)
	dir := t.TempDir()
	ca, caKey := newCert(t, dir, "ca", nil, nil)
	newCert(t, dir, "server", ca, caKey)
	newCert(t, dir, "client", ca, caKey)
	p := func(n string) string { return filepath.Join(dir, n) }

	tlsConf, err := engine.ServerTLS(p("server.pem"), p("server-key.pem"), p("ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := engine.Listen("tcp://127.0.0.1:0", tlsConf)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, t.TempDir(), "", l)
	addr := "tcp://" + l.Addr().String()

	q := "?ca=" + p("ca.pem") + "&cert=" + p("client.pem") + "&key=" + p("client-key.pem") + "&servername=kiln-test"
	n, err := Open(context.Background(), addr+q, OpenOptions{})
	if err != nil {
		t.Fatalf("with a client certificate: %v", err)
	}
	workerID(t, n.Client())
	n.Close()

	n, err = Open(context.Background(), addr, OpenOptions{CACert: p("ca.pem"), ServerName: "kiln-test", ConnectTimeout: 10 * time.Second})
	if err == nil {
		n.Close()
		t.Fatal("without a client certificate: connected")
	}
}

func TestOpenErrors(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	for _, tc := range []struct{ spec, want, needs string }{
		{"bogus", `want "embedded", "docker" or a BuildKit address`, ""},
		{"docker", "no Docker engine at unix:///nonexistent/docker.sock", ""},
		{"tcp://127.0.0.1:1", "no BuildKit answering", ""},
		{"tcp://127.0.0.1:1?foo=bar", "unknown parameters", ""},
		{"tcp://127.0.0.1:1?cert=c.pem", "needs both cert and key", ""},
		// BuildKit's connection helpers run a command ending in `buildctl dial-stdio`.
		{"ssh://nobody@127.0.0.1:1", "dial-stdio", "ssh"},
		{"docker-container://kiln-nonexistent", "dial-stdio", "docker"},
		{"kube-pod://kiln-nonexistent", "dial-stdio", "kubectl"},
	} {
		if _, err := exec.LookPath(tc.needs); tc.needs != "" && err != nil {
			t.Logf("%s: skipped, no %s binary", tc.spec, tc.needs)
			continue
		}
		n, err := Open(context.Background(), tc.spec, OpenOptions{ConnectTimeout: 10 * time.Second})
		if err == nil {
			n.Close()
			t.Errorf("%s: no error", tc.spec)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not say %q", tc.spec, err, tc.want)
		}
	}
}

// newCert writes name.pem and name-key.pem in dir: a CA when parent is nil,
// else a certificate for 127.0.0.1 and "kiln-test" signed by parent.
func newCert(t *testing.T, dir, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		DNSNames:     []string{"kiln-test"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(file, typ string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, file), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(name+".pem", "CERTIFICATE", der)
	write(name+"-key.pem", "EC PRIVATE KEY", kb)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// TLS files in the address: ca and cacert are one setting; both at once is
// an error rather than whichever a map walk reached last.
func TestClientOptionsAddressTLS(t *testing.T) {
	addr, copts, err := clientOptions("tcp://127.0.0.1:1234?cacert=/c/ca.pem&servername=n", OpenOptions{})
	if err != nil || addr != "tcp://127.0.0.1:1234" || len(copts) == 0 {
		t.Fatalf("clientOptions = %q, %d options, %v", addr, len(copts), err)
	}
	if _, _, err := clientOptions("tcp://127.0.0.1:1234?ca=/a.pem&cacert=/b.pem", OpenOptions{}); err == nil || !strings.Contains(err.Error(), "give ca or cacert, not both") {
		t.Errorf("ca and cacert: %v", err)
	}
	if _, _, err := clientOptions("tcp://127.0.0.1:1234?cert=/c.pem", OpenOptions{}); err == nil || !strings.Contains(err.Error(), "TLS needs both cert and key") {
		t.Errorf("cert without key: %v", err)
	}
}
