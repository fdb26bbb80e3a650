package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-build/kiln/internal/testenv"
)

// TestIntegrationBadInput checks that each kind of bad input ends kiln with a
// clear error line naming the target, without hanging (kilnTimeout) and
// without writing the target's output.
func TestIntegrationBadInput(t *testing.T) {
	e := sharedEngine(t)
	closedPort, err := testenv.FreePort() // nothing listens there once FreePort returns
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		target string
		hcl    string // the target block; base and a Dockerfile are provided
		errRe  string // what the error line must say besides the target name
	}{
		{
			name:   "host-gateway on the embedded engine",
			target: "gw",
			hcl: `target "gw" {
  contexts    = { base = "target:base" }
  extra-hosts = { gw = "host-gateway" }
  output      = ["type=local,dest=out"]
}`,
			errRe: `unable to derive the IP value for host-gateway: host-gateway is not supported by`,
		},
		{
			name:   "missing Dockerfile",
			target: "nodockerfile",
			hcl: `target "nodockerfile" {
  dockerfile = "missing.Dockerfile"
  output     = ["type=local,dest=out"]
}`,
			errRe: `missing\.Dockerfile`,
		},
		{
			name:   "unknown stage",
			target: "nostage",
			hcl: `target "nostage" {
  contexts = { base = "target:base" }
  target   = "nosuchstage"
  output   = ["type=local,dest=out"]
}`,
			errRe: `nosuchstage`,
		},
		{
			name:   "malformed output",
			target: "badoutput",
			hcl: `target "badoutput" {
  contexts = { base = "target:base" }
  output   = ["type=local"]
}`,
			errRe: `dest`,
		},
		{
			name:   "missing secret file",
			target: "nosecret",
			hcl: `target "nosecret" {
  contexts = { base = "target:base" }
  secret   = ["id=tok,src=/nonexistent/kiln-it-secret"]
  output   = ["type=local,dest=out"]
}`,
			errRe: `kiln-it-secret`,
		},
		{
			name:   "unreachable registry",
			target: "unreachable",
			hcl: fmt.Sprintf(`target "unreachable" {
  contexts = { base = "target:base" }
  output   = ["type=image,name=127.0.0.1:%d/kiln-it/unreachable:v1,push=true"]
}`, closedPort),
			errRe: fmt.Sprintf(`127\.0\.0\.1:%d`, closedPort),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{
				"Dockerfile":      "FROM base AS real\nRUN echo bad-input > /bad\n",
				"docker-bake.hcl": baseTarget(t, "linux/amd64") + c.hcl + "\n",
			})
			r := e.bake(t, dir, c.target)
			r.mustErrorNaming(t, c.target, c.errRe)
			r.mustNotClaim(t, c.target)
			mustNotExist(t, filepath.Join(dir, "out"))
		})
	}

	t.Run("load without Docker", func(t *testing.T) {
		if _, err := os.Stat("/var/run/docker.sock"); err == nil || os.Getenv("DOCKER_HOST") != "" {
			t.Skip("a Docker engine may be reachable here")
		}
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{
			"Dockerfile":      "FROM base\nRUN echo load > /load\n",
			"docker-bake.hcl": baseTarget(t, "linux/amd64") + "target \"loadme\" {\n  contexts = { base = \"target:base\" }\n}\n",
		})
		r := e.bake(t, dir, "--load", "loadme")
		r.mustErrorNaming(t, "", `(?i)docker`)
		r.mustNotClaim(t, "loadme")
	})

	t.Run("platform without emulation", func(t *testing.T) {
		// A real s390x binary, so the RUN cannot succeed by running natively.
		bb := testenv.Busybox("s390x")
		if binfmtRegistered("s390x") {
			t.Skip("qemu-s390x is registered in binfmt_misc here: no unemulated platform to test with")
		}
		if _, err := os.Stat(bb); err != nil {
			msg := "needs " + bb + " (hack/install-deps.sh --test fetches it)"
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		dir := t.TempDir()
		b, err := os.ReadFile(bb)
		if err != nil {
			t.Fatal(err)
		}
		writeFiles(t, dir, map[string]string{
			"busybox":    string(b),
			"Dockerfile": "FROM scratch\nCOPY --chmod=755 busybox /bin/busybox\nRUN [\"/bin/busybox\", \"true\"]\n",
			"docker-bake.hcl": `target "foreign" {
  platforms = ["linux/s390x"]
  output    = ["type=local,dest=out"]
}
`,
		})
		r := e.bake(t, dir, "foreign")
		// Say which platform cannot run, and what would make it run.
		r.mustErrorNaming(t, "foreign", `(?i)s390x.*(emulat|qemu|binfmt)|(emulat|qemu|binfmt).*s390x`)
		r.mustNotClaim(t, "foreign")
		mustNotExist(t, filepath.Join(dir, "out"))
	})
}
