package pool

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	src := `cache-registry = "127.0.0.1:5000/kiln-cache"
cache-dir = "cache"
node "amd" {
  address    = "tcp://127.0.0.1:1234"
  platforms  = ["linux/amd64"]
  max-solves = 2
  tls {
    ca   = "certs/ca.pem"
    cert = "/etc/kiln/client.pem"
    key  = "/etc/kiln/client-key.pem"
  }
}
node "local" {
  address = "unix:///run/kiln/buildkitd.sock"
}
`
	p, err := Parse("/etc/kiln/pool.hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if p.CacheRegistry != "127.0.0.1:5000/kiln-cache" || len(p.Nodes) != 2 {
		t.Fatalf("pool = %+v", p)
	}
	amd := p.Nodes[0]
	amd.DeclRange = nil
	want := Node{Name: "amd", Address: "tcp://127.0.0.1:1234", Platforms: []string{"linux/amd64"}, MaxSolves: 2,
		TLS: TLS{CA: "/etc/kiln/certs/ca.pem", Cert: "/etc/kiln/client.pem", Key: "/etc/kiln/client-key.pem"}}
	if !reflect.DeepEqual(amd, want) {
		t.Errorf("node = %+v\nwant   %+v", amd, want)
	}
	if p.CacheDir != "/etc/kiln/cache" {
		t.Errorf("cache-dir = %q, want it relative to the pool file", p.CacheDir)
	}
	if r := p.Nodes[1].DeclRange; r == nil || r.Start.Line != 13 {
		t.Errorf("local declared at %v, want line 13", r)
	}
}

// Every mistake in a pool file names file:line:col, rendered as a bake
// file's: HCL's diagnostics with the source line under them, a value the
// pool cannot use as file:line:col: node "NAME": what is wrong.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`node "a" {}`, "pool.hcl:1,10-10: Missing required argument; The argument \"address\" is required, but no definition was found.\n     1 | node \"a\" {}\n                  ^"},
		{`node "a" { address = "http://x" }`, `pool.hcl:1:22: node "a": address "http://x": want embedded, docker, or one of unix://, tcp://, docker-container://, kube-pod://, ssh://, podman-container://, nerdctl-container://`},
		{`node "a" { address = "tcp://" }`, `pool.hcl:1:22: node "a": address "tcp://" names no host or path`},
		{"node \"a\" {\n  address = \"unix:///s\"\n  platforms = [\"linux/amd64/v9/x\"]\n}", `pool.hcl:3:15: node "a": "linux/amd64/v9/x": cannot parse platform specifier: invalid argument`},
		{"node \"a\" { address = \"unix:///s\" }\nnode \"a\" { address = \"unix:///t\" }", `pool.hcl:2:6: node "a": already declared at pool.hcl:1:1`},
		{"node \"a\" {\n  address = \"unix:///s\"\n  tls { cert = \"c.pem\" }\n}", `pool.hcl:1:1: node "a": tls: cert and key go together`},
		{"node \"a\" {\n  address = \"unix:///s\"\n  max-solves = -1\n}", `pool.hcl:3:16: node "a": max-solves must be 0 (no bound) or more`},
		{`cache_registry = "x"`, "pool.hcl:1,1-15: Unsupported argument; An argument named \"cache_registry\" is not expected here.\n     1 | cache_registry = \"x\"\n         ^^^^^^^^^^^^^^"},
		{`cache-registry = "x"`, `pool.hcl:1:1: no node: a pool file declares at least one node block`},
		{`node "a" { address = "unix:///s"`, "pool.hcl:1,10-11: Unclosed configuration block; There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.\n     1 | node \"a\" { address = \"unix:///s\"\n                  ^"},
	} {
		_, err := Parse("pool.hcl", []byte(tc.src))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.src, err, tc.want)
		}
	}
}

func TestDefaultFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	env := map[string]string{"HOME": filepath.Join(dir, "home")}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if got := DefaultFile(lookup); got != "" {
		t.Errorf("no pool file: got %q", got)
	}
	user := filepath.Join(dir, "home/.config/kiln/pool.hcl")
	os.MkdirAll(filepath.Dir(user), 0o755)
	os.WriteFile(user, nil, 0o644)
	if got := DefaultFile(lookup); got != user {
		t.Errorf("got %q, want %q", got, user)
	}
	os.WriteFile("kiln-pool.hcl", nil, 0o644)
	if got := DefaultFile(lookup); got != "kiln-pool.hcl" {
		t.Errorf("got %q, want the working directory's kiln-pool.hcl", got)
	}
	env["KILN_POOL"] = "/elsewhere.hcl"
	if got := DefaultFile(lookup); got != "/elsewhere.hcl" {
		t.Errorf("got %q, want $KILN_POOL", got)
	}
}

// A builder made by real buildx (`buildx create --driver remote … --append`)
// reads as buildx uses it. Without buildx, the store file it wrote on
// v0.38.2 for the same commands is used.
func TestFromBuildx(t *testing.T) {
	dir := t.TempDir()
	certs := t.TempDir()
	for _, f := range []string{"ca.pem", "cert.pem", "key.pem"} {
		os.WriteFile(filepath.Join(certs, f), nil, 0o600)
	}
	buildx, _ := exec.LookPath("buildx")
	if buildx == "" {
		if _, err := os.Stat("/root/go/bin/buildx"); err == nil {
			buildx = "/root/go/bin/buildx"
		}
	}
	if buildx != "" {
		run := func(args ...string) {
			cmd := exec.Command(buildx, args...)
			cmd.Env = append(os.Environ(), "BUILDX_CONFIG="+dir)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("buildx %v: %v\n%s", args, err, out)
			}
		}
		run("create", "--name", "Pool1", "--driver", "remote", "--platform", "linux/amd64,linux/arm64",
			"--driver-opt", "cacert="+certs+"/ca.pem,cert="+certs+"/cert.pem,key="+certs+"/key.pem", "tcp://127.0.0.1:1234")
		run("create", "--name", "Pool1", "--append", "--node", "n2", "--driver", "remote", "unix:///run/x.sock")
	} else {
		t.Log("buildx not installed: reading the store file buildx v0.38.2 wrote")
		os.MkdirAll(filepath.Join(dir, "instances"), 0o755)
		os.WriteFile(filepath.Join(dir, "instances", "pool1"), []byte(`{"Name":"Pool1","Driver":"remote","Nodes":[{"Name":"pool10","Endpoint":"tcp://127.0.0.1:1234","Platforms":[{"architecture":"amd64","os":"linux"},{"architecture":"arm64","os":"linux"}],"DriverOpts":{"cacert":"`+certs+`/ca.pem","cert":"`+certs+`/cert.pem","key":"`+certs+`/key.pem"},"Flags":null,"Files":null},{"Name":"n2","Endpoint":"unix:///run/x.sock","Platforms":null,"DriverOpts":null,"Flags":null,"Files":null}],"Dynamic":false}`), 0o644)
	}
	p, err := FromBuildx(dir, "Pool1")
	if err != nil {
		t.Fatal(err)
	}
	want := []Node{
		{Name: "pool10", Address: "tcp://127.0.0.1:1234", Platforms: []string{"linux/amd64", "linux/arm64"},
			TLS: TLS{CA: certs + "/ca.pem", Cert: certs + "/cert.pem", Key: certs + "/key.pem", ServerName: "127.0.0.1"}},
		{Name: "n2", Address: "unix:///run/x.sock"},
	}
	if !reflect.DeepEqual(p.Nodes, want) {
		t.Errorf("nodes = %+v\nwant    %+v", p.Nodes, want)
	}
	if _, err := FromBuildx(dir, "nope"); !errors.Is(err, ErrNoBuildxBuilder) {
		t.Errorf("unknown builder: %v", err)
	}
}

func TestBuildxConfigDir(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"BUILDX_CONFIG": "/b", "DOCKER_CONFIG": "/d", "HOME": "/h"}, "/b"},
		{map[string]string{"DOCKER_CONFIG": "/d", "HOME": "/h"}, "/d/buildx"},
		{map[string]string{"HOME": "/h"}, "/h/.docker/buildx"},
	} {
		lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
		if got := BuildxConfigDir(lookup); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.env, got, tc.want)
		}
	}
}
