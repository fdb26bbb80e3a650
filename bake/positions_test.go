package bake

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// Errors about names that resolve to no target point at the element the
// user wrote, with the target or group that wrote it, and keep buildx's
// message ("failed to find target X") inside.
func TestUnknownTargetPositions(t *testing.T) {
	const hclSrc = `group "default" {
  targets = ["base",
    "missing"]
}
target "base" {}
target "a" {
  inherits = ["base", "bsae"]
}
target "c" {
  contexts = {
    b = "target:nope"
  }
}
target "m" {
  matrix = { v = ["x"] }
  name = "m-${v}"
  inherits = ["base", "b-${v}"]
}
`
	const jsonSrc = `{"target": {"j": {"inherits": ["base", "zz"]}}}`
	cases := []struct {
		file, src string
		targets   []string
		want      string
	}{
		{"docker-bake.hcl", hclSrc, []string{"a"}, `docker-bake.hcl:7:23: failed to find target bsae, inherited by target "a"`},
		{"docker-bake.hcl", hclSrc, nil, `docker-bake.hcl:3:5: failed to find target missing, in group "default"`},
		{"docker-bake.hcl", hclSrc, []string{"c"}, `docker-bake.hcl:11:9: failed to find target nope, in context "b" of target "c"`},
		// a computed element: the whole inherits value
		{"docker-bake.hcl", hclSrc, []string{"m-x"}, `docker-bake.hcl:17:14: failed to find target b-x, inherited by target "m-x"`},
		{"docker-bake.json", jsonSrc, []string{"j"}, `docker-bake.json:1:40: failed to find target zz, inherited by target "j"`},
		// requested by the user on the command line: buildx's message as is
		{"docker-bake.hcl", hclSrc, []string{"nothere"}, `failed to find target nothere`},
	}
	for _, tc := range cases {
		files := []File{{Name: "base.hcl", Data: []byte(`target "base" {}`)}, {Name: tc.file, Data: []byte(tc.src)}}
		c, _, err := ParseFiles(files, ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ResolvePlan(tc.targets, nil, nil)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s %v:\n got %v\nwant %s", tc.file, tc.targets, err, tc.want)
		}
		var pe *PositionError
		if errors.As(err, &pe) != (tc.targets == nil || tc.targets[0] != "nothere") {
			t.Errorf("%s %v: PositionError %v for %v", tc.file, tc.targets, pe != nil, err)
		}
	}
}

// Errors about a value a build could not use point at the value (the list
// element or map entry at fault when it is written out), in the target or
// in the parent it inherits the value from, and name the target; buildx's
// message follows whole.
func TestValueErrorPositions(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	const hclSrc = `target "shm" {
  shm-size = "lots"
}
target "secret" {
  secret = ["id=ok,env=OK", "src=x"]
}
target "secretfile" {
  secret = ["id=s,src=missing.txt"]
}
target "ssh" {
  ssh = ["k=missing-key"]
}
target "sshdefault" {
  context = "git@github.com:docker/buildx.git"
}
target "output" {
  output = ["type=tar,dest=out.tar", "type=local"]
}
target "stdout" {
  output = ["type=tar", "type=oci"]
}
target "annotations" {
  annotations = ["x"]
}
target "ulimits" {
  ulimits = ["nproc=1:2", "nofile"]
}
target "resources" {
  resources = {
    cpu-shares = 2
    memory = "lots"
  }
}
target "platforms" {
  platforms = ["linux/notanarch/x/y"]
}
target "stdin" {
  dockerfile = "-"
}
target "child" {
  inherits = ["other", "shm"]
}
target "other" {}
target "self" {
  contexts = { me = "target:self" }
}
target "loop1" {
  contexts = { l = "target:loop2" }
}
target "loop2" {
  contexts = { l = "target:loop1" }
}
target "ctxstdin" {
  context = "-"
}
target "multi" {
  platforms = ["linux/amd64", "linux/arm64"]
  contexts = { base = "target:narrow" }
}
target "narrow" {
  platforms = ["linux/amd64", "linux/s390x"]
}
target "linkparent" {
  contexts = { dep = "target:gone" }
}
target "linkchild" {
  inherits = ["linkparent"]
}
target "destfile" {
  output = ["type=local,dest=a-file"]
}
`
	const jsonSrc = `{"target": {"j": {"ulimits": ["nofile"]}}}`
	cases := []struct{ target, want string }{
		{"shm", `docker-bake.hcl:2:14: target shm: invalid value lots for membytes key shm-size`},
		{"secret", `docker-bake.hcl:5:29: target secret: secret missing ID`},
		{"secretfile", `docker-bake.hcl:8:13: target secretfile: failed to stat missing.txt: stat missing.txt: no such file or directory`},
		{"ssh", `docker-bake.hcl:11:10: target ssh: failed to convert agent config {k [missing-key] false}: failed to convert agent config for ID: "k": stat missing-key: no such file or directory`},
		// the default agent a Git SSH context asks for
		{"sshdefault", `docker-bake.hcl:14:13: target sshdefault: failed to convert agent config {default [] false}: invalid empty ssh agent socket: make sure SSH_AUTH_SOCK is set`},
		{"output", `docker-bake.hcl:17:38: target output: dest is required for local exporter`},
		{"stdout", `docker-bake.hcl:20:25: target stdout: multiple outputs configured to write to stdout`},
		{"annotations", `docker-bake.hcl:23:17: target annotations: invalid annotation "x", expected key=value`},
		{"ulimits", `docker-bake.hcl:26:27: target ulimits: invalid ulimit argument: nofile`},
		{"resources", `docker-bake.hcl:31:14: target resources: invalid value "lots" for resource memory: invalid size: 'lots'`},
		{"platforms", `docker-bake.hcl:35:15: target platforms: "linux/notanarch/x/y": cannot parse platform specifier: invalid argument`},
		{"stdin", `docker-bake.hcl:38:16: target stdin: dockerfile from stdin not allowed in bake`},
		// inherited: where the parent sets it
		{"child", `docker-bake.hcl:2:14: target child: invalid value lots for membytes key shm-size`},
		{"self", `docker-bake.hcl:45:21: target self cannot link to itself`},
		{"loop1", `docker-bake.hcl:51:20: infinite loop from loop2 to loop1 (loop1 -> loop2 -> loop1)`},
		{"j", `docker-bake.json:1:31: target j: invalid ulimit argument: nofile`},
		{"ctxstdin", `docker-bake.hcl:54:13: target ctxstdin: context from stdin not allowed in bake`},
		{"multi", `docker-bake.hcl:58:23: target narrow can't be used by multi because its platforms [linux/amd64 linux/arm64] are not a subset of [linux/amd64 linux/s390x]`},
		// a context inherited from a parent: where the parent wrote it
		{"linkchild", `docker-bake.hcl:64:22: failed to find target gone, in context "dep" of target "linkchild"`},
		{"destfile", `docker-bake.hcl:70:13: target destfile: destination directory a-file is a file`},
	}
	if err := os.WriteFile("a-file", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		_, err := loadSources(LoadOptions{Targets: []string{tc.target}}, "docker-bake.hcl", hclSrc, "docker-bake.json", jsonSrc)
		assertPositionError(t, tc.target, err, tc.want)
	}
	// a file output without dest when stdout is a terminal
	_, err := loadSources(LoadOptions{Targets: []string{"stdout"}, StdoutTerminal: true}, "docker-bake.hcl", hclSrc)
	assertPositionError(t, "stdout to a terminal", err, `docker-bake.hcl:20:13: target stdout: dest file is required for tar exporter. refusing to write to console`)
}

// A --set value a target cannot take points at the attribute it sets in
// that target (its block header when the target does not set it), names
// the target and says the value came from the command line.
func TestOverrideErrorPositions(t *testing.T) {
	const src = `target "a" {
  shm-size = "1g"
  tags = ["a"]
}
target "b" {
  inherits = ["a"]
  secret = ["id=s,env=S"]
}
`
	cases := []struct {
		set  []string
		want string
	}{
		{[]string{"a.no-cache=maybe"}, `docker-bake.hcl:1:1: target a: a.no-cache set on the command line: invalid value maybe for boolean key no-cache`},
		{[]string{"a.cache-from=ref=only"}, `docker-bake.hcl:1:1: target a: a.cache-from set on the command line: type required for "ref=only"`},
		{[]string{"a.secret.nope=x"}, `docker-bake.hcl:1:1: target a: a.secret.nope set on the command line: secret "nope" must be declared before it can be overridden`},
		{[]string{"b.bogus=1"}, `docker-bake.hcl:5:1: target b: b.bogus set on the command line: unknown key: bogus`},
		// caught by Load's checks of the resolved target
		{[]string{"a.shm-size=lots"}, `docker-bake.hcl:2:14: target b: a.shm-size set on the command line: invalid value lots for membytes key shm-size`},
		{[]string{"b.shm-size=lots"}, `docker-bake.hcl:5:1: target b: b.shm-size set on the command line: invalid value lots for membytes key shm-size`},
		{[]string{"b.secret+=src=x"}, `docker-bake.hcl:7:12: target b: b.secret set on the command line: secret missing ID`},
		// malformed keys, when the pattern names one target
		{[]string{"a.tags.x=1"}, `docker-bake.hcl:3:10: target a: invalid key a.tags.x, tag does not support subkeys`},
		{[]string{"b.secrets.id=x"}, `docker-bake.hcl:7:12: target b: invalid key b.secrets.id, secret does not support subkeys`},
		{[]string{"a.args=1"}, `docker-bake.hcl:1:1: target a: invalid key a.args, arg requires name`},
		// a pattern: at the first target it matches
		{[]string{"*.tags.x=1"}, `docker-bake.hcl:3:10: target a: invalid key *.tags.x, tag does not support subkeys`},
		// a pattern that matches no target: buildx's message as is
		{[]string{"z*.tags=1"}, `could not find any target matching 'z*'`},
	}
	for _, tc := range cases {
		_, err := loadSources(LoadOptions{Targets: []string{"b"}, Overrides: tc.set}, "docker-bake.hcl", src)
		assertPositionError(t, strings.Join(tc.set, " "), err, tc.want)
	}
}

// loadSources runs Load on the named sources (name, text, name, text...)
// as files, in an empty environment unless o says otherwise.
func loadSources(o LoadOptions, nameText ...string) (*Plan, error) {
	var fs []File
	for i := 0; i+1 < len(nameText); i += 2 {
		fs = append(fs, File{Name: nameText[i], Data: []byte(nameText[i+1])})
		o.Files = append(o.Files, nameText[i])
	}
	o.ReadFiles = func([]string, io.Reader) ([]File, error) { return fs, nil }
	if o.Env == nil {
		o.Env = []string{}
	}
	p, _, err := Load(context.Background(), o)
	return p, err
}

// assertPositionError checks err's text and that it is a PositionError
// exactly when want starts with a position.
func assertPositionError(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil || err.Error() != want {
		t.Errorf("%s:\n got %v\nwant %s", what, err, want)
		return
	}
	var pe *PositionError
	if wantPos := strings.HasPrefix(want, "docker-bake."); errors.As(err, &pe) != wantPos {
		t.Errorf("%s: PositionError %v, want %v", what, pe != nil, wantPos)
	}
}

// The entitlement check's errors about a target's values are placed too.
func TestEntitlementErrorPositions(t *testing.T) {
	const src = `target "dev" {
  entitlements = ["network.host", "device=\"a"]
}
target "mode" {
  output = ["type=local,dest=out,mode=mirror"]
}
`
	for _, tc := range []struct{ target, want string }{
		{"dev", `docker-bake.hcl:2:35: target dev: failed to parse device entitlement "\"a": parse error on line 1, column 2: extraneous or missing " in quoted-field`},
		{"mode", `docker-bake.hcl:5:13: target mode: invalid local exporter mode "mirror"`},
	} {
		p, err := loadSources(LoadOptions{Targets: []string{tc.target}}, "docker-bake.hcl", src)
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.MissingEntitlements(Entitlements{})
		assertPositionError(t, tc.target, err, tc.want)
	}
}

// The rules buildx applies only when it builds (CheckBuild) are placed too,
// and keep buildx's messages; Load lets these targets through, as --print does.
func TestBuildRuleErrorPositions(t *testing.T) {
	const src = `target "syntax" {
  args = { BUILDKIT_SYNTAX = " " }
}
target "tag" {
  tags = ["ok", "Not:A:Tag"]
}
target "push" {
  output = ["type=registry"]
}
target "network" {
  network = "bridge"
}
target "hosts" {
  extra-hosts = {
    a = "10.0.0.1"
    b = "not-an-ip"
  }
}
target "fine" {
  tags = ["r/app:1"]
  output = ["type=image,push=true"]
  network = "host"
  extra-hosts = { gw = "host-gateway", v6 = "[::1]" }
}
`
	for _, tc := range []struct{ target, want string }{
		{"syntax", `docker-bake.hcl:2:30: target syntax: empty BUILDKIT_SYNTAX build-arg is invalid, use --build-arg BUILDKIT_SYNTAX without '=' for optional behavior`},
		{"tag", `docker-bake.hcl:5:17: target tag: invalid tag "Not:A:Tag": invalid reference format`},
		{"push", `docker-bake.hcl:8:13: target push: tag is needed when pushing to registry`},
		{"network", `docker-bake.hcl:11:13: target network: network mode "bridge" not supported by buildkit - you can define a custom network for your builder using the network driver-opt in buildx create`},
		{"hosts", `docker-bake.hcl:16:9: target hosts: invalid host b=not-an-ip`},
		{"fine", ""},
	} {
		p, err := loadSources(LoadOptions{Targets: []string{tc.target}}, "docker-bake.hcl", src)
		if err != nil {
			t.Fatalf("%s: Load: %v", tc.target, err)
		}
		err = p.CheckBuild(nil)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.target, err)
			}
			continue
		}
		assertPositionError(t, tc.target, err, tc.want)
	}
}
