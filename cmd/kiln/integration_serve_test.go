package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-build/kiln/internal/testenv"
)

// TestIntegrationServe runs the core cases against `kiln engine serve`, the
// embedded engine exposed as a BuildKit daemon, through --builder unix://...
func TestIntegrationServe(t *testing.T) {
	state := freshEngine(t)
	sock := filepath.Join(t.TempDir(), "kiln.sock")
	addr := "unix://" + sock
	srv := state.start(t, "/", "engine", "serve", "--addr", addr)
	waitForSocket(t, srv, sock)

	// The client gets its own, empty KILN_ROOT: it must not use it.
	client := &kilnEnv{root: t.TempDir(), builder: addr}
	for _, c := range coreCases {
		t.Run(c.name, func(t *testing.T) { c.run(t, client) })
	}
	if ents, _ := os.ReadDir(client.root); len(ents) > 0 {
		t.Errorf("a kiln using --builder %s wrote to its own KILN_ROOT: %v", addr, ents)
	}

	t.Run("two clients at once", func(t *testing.T) {
		dir := t.TempDir()
		n := nonce()
		writeFiles(t, dir, map[string]string{
			"Dockerfile": "FROM base\nARG WHO\nRUN echo \"$WHO-" + n + "\" > /who\n",
			"docker-bake.hcl": baseTarget(t, "linux/amd64") + `
target "_c" {
  contexts  = { base = "target:base" }
  platforms = ["linux/amd64"]
}
target "one" {
  inherits = ["_c"]
  args     = { WHO = "one" }
  output   = ["type=local,dest=out-one"]
}
target "two" {
  inherits = ["_c"]
  args     = { WHO = "two" }
  output   = ["type=local,dest=out-two"]
}
`,
		})
		a := client.start(t, dir, client.bakeArgs("one")...)
		b := client.start(t, dir, client.bakeArgs("two")...)
		for _, k := range []*asyncKiln{a, b} {
			if !k.wait(kilnTimeout) {
				t.Fatalf("kiln did not finish within %s:\n%s", kilnTimeout, tail(k.output(), 30))
			}
			if k.err != nil {
				t.Errorf("kiln %v failed: %v\n%s", k.cmd.Args[1:], k.err, tail(k.output(), 30))
			}
		}
		for _, who := range []string{"one", "two"} {
			if got := readFile(t, filepath.Join(dir, "out-"+who, "who")); got != who+"-"+n+"\n" {
				t.Errorf("out-%s/who = %q", who, got)
			}
		}
	})

	t.Run("embedded kiln on the served state directory", func(t *testing.T) {
		// The daemon holds the state directory's lock; an embedded kiln on it
		// hands its builds to the daemon, whose cache it then sees.
		dir := t.TempDir()
		n := nonce()
		writeFiles(t, dir, map[string]string{
			"docker-bake.hcl": fmt.Sprintf(`target "handoff" {
  dockerfile-inline = "FROM scratch\nCOPY docker-bake.hcl /%s\n"
  output = ["type=local,dest=${OUT}"]
}
variable "OUT" {}
`, n),
		})
		client.with("OUT=out1").bake(t, dir, "handoff").mustSucceed(t)
		r := state.with("OUT=out2").bake(t, dir, "handoff").mustSucceed(t)
		mustCached(t, r, "COPY docker-bake.hcl /"+n)
		if _, err := os.Stat(filepath.Join(dir, "out2", n)); err != nil {
			t.Errorf("no output from the handed-off build: %v", err)
		}
	})

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !srv.wait(time.Minute) {
		t.Errorf("kiln engine serve did not stop within 1m of SIGTERM:\n%s", tail(srv.output(), 30))
	}
	if mps := mountsUnder(state.root); len(mps) > 0 {
		t.Errorf("mounts under %s remain after the daemon stopped: %v", state.root, mps)
	}
}

// waitForSocket waits until the daemon accepts connections on sock.
// serveFreshEngine starts `kiln engine serve` on an empty state directory at
// the unix socket sock ("" for one in a temporary directory) and returns its
// address once it answers.
func serveFreshEngine(t *testing.T, sock string) (addr string, srv *asyncKiln) {
	t.Helper()
	if sock == "" {
		sock = filepath.Join(t.TempDir(), "kiln.sock")
	}
	srv = freshEngine(t).start(t, "/", "engine", "serve", "--addr", "unix://"+sock)
	waitForSocket(t, srv, sock)
	return "unix://" + sock, srv
}

func waitForSocket(t *testing.T, srv *asyncKiln, sock string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-srv.done:
			t.Fatalf("kiln engine serve exited (%v):\n%s", srv.err, tail(srv.output(), 40))
		default:
		}
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("kiln engine serve did not listen on %s within 2m:\n%s", sock, tail(srv.output(), 40))
}

// TestIntegrationServeEntitlements: a user who may connect to a served
// engine (here nobody, through --group) gets no insecure entitlement from a
// serve started with defaults, even asking with --allow: BuildKit refuses
// the solve. --allow-insecure-entitlement security.insecure grants it.
func TestIntegrationServeEntitlements(t *testing.T) {
	state := freshEngine(t)
	pub := publicDir(t)
	bin := filepath.Join(pub, "kiln")
	testenv.CopyExecutable(t, kilnBin, bin)
	n := nonce()
	writeFiles(t, pub, map[string]string{
		"docker-bake.hcl": baseTarget(t, "linux/amd64") + `
target "_c" {
  contexts  = { base = "target:base" }
  platforms = ["linux/amd64"]
  output    = ["type=cacheonly"]
}
target "insecure" {
  inherits          = ["_c"]
  dockerfile-inline = "FROM base\nRUN --security=insecure mkdir -p /mnt && mount -t tmpfs none /mnt && echo insecure-` + n + `\n"
  entitlements      = ["security.insecure"]
}
target "hostnet" {
  inherits          = ["_c"]
  dockerfile-inline = "FROM base\nRUN --network=host echo hostnet-` + n + `\n"
  entitlements      = ["network.host"]
}
`,
	})

	sock := filepath.Join(pub, "default.sock")
	srv := state.start(t, "/", "engine", "serve", "--addr", "unix://"+sock, "--addr", "tcp://127.0.0.1:0", "--group", "65534")
	srv.waitFor(t, "kiln engine serving", 2*time.Minute)
	if out := srv.output(); !strings.Contains(out, "WARNING: tcp://127.0.0.1:0 has no mutual TLS") || !strings.Contains(out, "insecure entitlements allowed: none") {
		t.Errorf("serve with defaults and a loopback TCP address: want the no-mutual-TLS warning and no entitlement allowed in:\n%s", out)
	}
	for _, tc := range []struct{ target, ent string }{{"insecure", "security.insecure"}, {"hostnet", "network.host"}} {
		r := kilnAsNobody(t, bin, pub, "bake", "--progress=plain", "--allow=fs.read="+demoBaseDir, "--builder", "unix://"+sock, "--allow", tc.ent, tc.target)
		r.mustFail(t)
		if want := "granting entitlement " + tc.ent + " is not allowed by build daemon configuration"; !strings.Contains(r.out, want) {
			t.Errorf("%s as nobody on a default serve: want %q in:\n%s", tc.target, want, r)
		}
	}
	stopServe(t, srv)

	sock = filepath.Join(pub, "insecure.sock")
	srv = state.start(t, "/", "engine", "serve", "--addr", "unix://"+sock, "--group", "65534", "--allow-insecure-entitlement", "security.insecure")
	waitForSocket(t, srv, sock)
	r := kilnAsNobody(t, bin, pub, "bake", "--progress=plain", "--allow=fs.read="+demoBaseDir, "--builder", "unix://"+sock, "--allow", "security.insecure", "insecure")
	r.mustSucceed(t)
	if !strings.Contains(r.out, "insecure-"+n) {
		t.Errorf("the insecure step's output is missing:\n%s", r)
	}
	r = kilnAsNobody(t, bin, pub, "bake", "--progress=plain", "--allow=fs.read="+demoBaseDir, "--builder", "unix://"+sock, "--allow", "network.host", "hostnet")
	if want := "granting entitlement network.host is not allowed by build daemon configuration"; r.code == 0 || !strings.Contains(r.out, want) {
		t.Errorf("network.host on a serve allowing only security.insecure: want %q, got %s", want, r)
	}
	stopServe(t, srv)
}

// TestIntegrationServeRefusals: settings that would expose the engine, or
// destroy what is at the socket path, fail before the state directory is
// touched, with one line naming what is wrong.
func TestIntegrationServeRefusals(t *testing.T) {
	env := freshEngine(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "state")
	file := filepath.Join(dir, "precious")
	content := []byte("not a socket\x00\x01\n")
	if err := os.WriteFile(file, content, 0o640); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--addr", "tcp://0.0.0.0:0"}, "ERROR: tcp://0.0.0.0:0 is not a loopback address and mutual TLS is not configured"},
		{[]string{"--addr", "tcp://0.0.0.0:0", "--tlscert", "c.pem", "--tlskey", "k.pem"}, "ERROR: tcp://0.0.0.0:0 is not a loopback address and mutual TLS is not configured"},
		{[]string{"--addr", "tcp://127.0.0.1:0", "--tlscacert", "ca.pem"}, "ERROR: --tlscacert needs --tlscert and --tlskey"},
		{[]string{"--addr", "tcp://127.0.0.1:0", "--tlscert", "c.pem"}, "ERROR: --tlscert and --tlskey go together"},
		{[]string{"--addr", "unix://" + filepath.Join(dir, "s.sock"), "--tlscert", "c.pem", "--tlskey", "k.pem", "--tlscacert", "ca.pem"}, "ERROR: --tlscert, --tlskey and --tlscacert apply to tcp:// addresses"},
		{[]string{"--addr", "unix://" + file}, "ERROR: listen unix://" + file + ": " + file + " exists and is a regular file, not a socket"},
		{[]string{"--allow-insecure-entitlement", "security.unsafe"}, `ERROR: --allow-insecure-entitlement: unknown insecure entitlement "security.unsafe"`},
	} {
		r := env.kiln(t, dir, append([]string{"engine", "serve", "--root", root}, tc.args...)...)
		r.mustFail(t)
		if !strings.Contains(r.out, tc.want) {
			t.Errorf("serve %v: want %q in:\n%s", tc.args, tc.want, r)
		}
		if _, err := os.Stat(root); err == nil {
			t.Fatalf("serve %v: refused, but created the state directory", tc.args)
		}
	}
	if got, err := os.ReadFile(file); err != nil || !bytes.Equal(got, content) {
		t.Errorf("the file at the socket path: %q, %v; want it unchanged", got, err)
	}
}

// TestIntegrationServeMutualTLS: with mutual TLS only clients holding a
// certificate from the configured CA get in; a certificate from another CA
// is refused. The unix address given beside it holds a stale socket left by
// a killed server: it is replaced.
func TestIntegrationServeMutualTLS(t *testing.T) {
	state := freshEngine(t)
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	ca, caKey := writeCert(t, dir, "ca", nil, nil)
	writeCert(t, dir, "server", ca, caKey)
	writeCert(t, dir, "client", ca, caKey)
	other, otherKey := writeCert(t, dir, "other-ca", nil, nil)
	writeCert(t, dir, "intruder", other, otherKey)

	sock := p("stale.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()

	srv := state.start(t, "/", "engine", "serve", "--addr", "unix://"+sock, "--addr", "tcp://127.0.0.1:0",
		"--tlscert", p("server.pem"), "--tlskey", p("server-key.pem"), "--tlscacert", p("ca.pem"))
	srv.waitFor(t, "kiln engine serving", 2*time.Minute)
	m := regexp.MustCompile(`serving .* on unix://\S+, (tcp://127\.0\.0\.1:\d+)`).FindStringSubmatch(srv.output())
	if m == nil {
		t.Fatalf("no tcp address in the serve output:\n%s", srv.output())
	}
	if strings.Contains(srv.output(), "WARNING") {
		t.Errorf("a warning with mutual TLS configured:\n%s", srv.output())
	}
	client := &kilnEnv{root: t.TempDir()}
	builder := func(who string) string {
		return m[1] + "?ca=" + p("ca.pem") + "&cert=" + p(who+".pem") + "&key=" + p(who+"-key.pem")
	}
	client.kiln(t, dir, "du", "--builder", builder("client")).mustSucceed(t)
	// With TLS 1.3 the client learns of the refusal as a broken connection
	// ("no BuildKit answering"), not as a certificate error.
	client.kiln(t, dir, "du", "--builder", builder("intruder")).mustFail(t)
	client.kiln(t, dir, "du", "--builder", m[1]+"?ca="+p("ca.pem")).mustFail(t)
	client.kiln(t, dir, "du", "--builder", builder("client")).mustSucceed(t) // still serving
	stopServe(t, srv)
}

// publicDir is a temporary directory user nobody can enter (t.TempDir's
// parent is private to root).
func publicDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "kiln-it-public-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// kilnAsNobody runs bin (a copy of kiln nobody can execute) as user and
// group nobody in dir, with a KILN_ROOT it cannot create.
func kilnAsNobody(t *testing.T, bin, dir string, args ...string) *kilnRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), kilnTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "KILN_ROOT=" + filepath.Join(dir, "nobody-root")}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	r := &kilnRun{args: args, out: string(out)}
	if ctx.Err() != nil {
		t.Fatalf("kiln as nobody did not finish within %s:\n%s", kilnTimeout, tail(r.out, 60))
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running kiln as nobody: %v", err)
	}
	return r
}

// stopServe stops a serve with SIGTERM and waits for it.
func stopServe(t *testing.T, srv *asyncKiln) {
	t.Helper()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !srv.wait(time.Minute) {
		t.Errorf("kiln engine serve did not stop within 1m of SIGTERM:\n%s", tail(srv.output(), 30))
	}
}

// writeCert writes name.pem and name-key.pem in dir: a CA when parent is
// nil, else a certificate for 127.0.0.1 (server and client use) signed by
// parent.
func writeCert(t *testing.T, dir, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "kiln-test " + name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	if parent == nil {
		tmpl.IsCA = true
		tmpl.BasicConstraintsValid = true
		tmpl.KeyUsage = x509.KeyUsageCertSign
		parent, parentKey = tmpl, key
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+"-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}
