package main

// A run over a pool that puts one target's work on several nodes: a
// multi-platform target split one platform a node and joined, and a
// target: chain across nodes through the pool registry.

import (
	"fmt"
	"path/filepath"
	"regexp"
	"testing"
)

// A multi-platform target on a node restricted to linux/amd64 and one to
// linux/arm64: each platform is solved on its own node, and the parts are
// joined: the pushed tag is one manifest list holding both platforms, the
// oci tarball one valid multi-platform layout, each platform's files its own.
func TestIntegrationPoolSplitTarget(t *testing.T) {
	amd, arm := servePoolNode(t), servePoolNode(t)
	reg := testRegistry(t)
	dir := t.TempDir()
	n := nonce()
	repo := fmt.Sprintf("%s/kiln-it/split-%s", reg.Addr, n)
	writeFiles(t, dir, map[string]string{"docker-bake.hcl": fmt.Sprintf(`variable "OUT" {}
target "multi" {
  context   = %q
  platforms = ["linux/amd64", "linux/arm64"]
  dockerfile-inline = <<EOT
FROM scratch
ARG TARGETARCH
COPY busybox-$${TARGETARCH} /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "echo split-%s > /marker; /bin/busybox uname -m >> /marker"]
EOT
  output = ["type=image,name=%s:v1,push=true", "type=oci,dest=${OUT}/multi.tar"]
}
`, demoBaseDir, n, repo)})
	pool := writePool(t, dir, fmt.Sprintf("node \"amd\" {\n  address = %q\n  platforms = [\"linux/amd64\"]\n}\nnode \"arm\" {\n  address = %q\n  platforms = [\"linux/arm64\"]\n}\n", amd.addr, arm.addr))
	client := &kilnEnv{root: t.TempDir(), env: []string{"OUT=" + filepath.Join(dir, "out")}}
	r := client.bake(t, dir, "--pool", pool, "multi").mustSucceed(t)
	if !regexp.MustCompile(`(?m)^\s+multi\s+linux/amd64\s+amd\s+succeeded`).MatchString(r.out) || !regexp.MustCompile(`(?m)^\s+multi\s+linux/arm64\s+arm\s+succeeded`).MatchString(r.out) {
		t.Errorf("want multi's linux/amd64 on amd and linux/arm64 on arm:\n%s", tail(r.out, 12))
	}
	for what, imgs := range map[string]map[string]*image{
		"pushed " + repo + ":v1": func() map[string]*image { m, _ := (registryRepo{reg, "kiln-it/split-" + n}).images(t, "v1"); return m }(),
		"oci tarball":            readOCITar(t, filepath.Join(dir, "out", "multi.tar")).images(t),
	} {
		mustPlatforms(t, what, imgs, "linux/amd64", "linux/arm64")
		for p, img := range imgs {
			if got, want := img.files(t)["marker"], "split-"+n+"\n"+unameOf[p]+"\n"; got != want {
				t.Errorf("%s %s: /marker = %q, want %q", what, p, got, want)
			}
		}
	}
}

// A target: chain across nodes: base (both platforms) on one node, app
// (linux/arm64) on the node that builds arm64 natively; base's result
// reaches app's node through the pool registry (pushed by digest, a
// docker-image:// context), not rebuilt there.
func TestIntegrationPoolChainAcrossNodes(t *testing.T) {
	amd, arm := servePoolNode(t), servePoolNode(t)
	reg := testRegistry(t)
	dir := t.TempDir()
	n := nonce()
	writeFiles(t, dir, map[string]string{"docker-bake.hcl": `variable "OUT" {}` + "\n" + baseTarget(t, bothPlatforms...) + fmt.Sprintf(`
target "app" {
  contexts  = { base = "target:base" }
  platforms = ["linux/arm64"]
  dockerfile-inline = "FROM base\nRUN echo across-%s > /app && cat /etc/kiln-release >> /app\n"
  output    = ["type=local,dest=${OUT}/app"]
}
`, n)})
	pool := writePool(t, dir, fmt.Sprintf("cache-registry = %q\nnode \"amd\" {\n  address = %q\n  platforms = [\"linux/amd64\"]\n}\nnode \"arm\" {\n  address = %q\n  platforms = [\"linux/arm64\"]\n}\n",
		reg.Addr+"/kiln-it/chain-"+n, amd.addr, arm.addr))
	client := &kilnEnv{root: t.TempDir(), env: []string{"OUT=" + filepath.Join(dir, "out")}}
	r := client.bake(t, dir, "--pool", pool, "app").mustSucceed(t)
	on := placedOn(t, r.out)
	if on["base"] != "amd" || on["app"] != "arm" {
		t.Errorf("placements %v: want base on amd (first of two nodes, neither native for both its platforms) and app on arm", on)
	}
	if !regexp.MustCompile(`\[app linux/arm64@arm[^\]]*\] .*` + regexp.QuoteMeta(reg.Addr+"/kiln-it/chain-"+n+"@sha256:")).MatchString(r.out) {
		t.Errorf("app did not get base through the registry:\n%s", tail(r.out, 30))
	}
	if got := readFile(t, filepath.Join(dir, "out", "app", "app")); got != "across-"+n+"\nkiln-demo-base dev aarch64\n" {
		t.Errorf("app: /app = %q", got)
	}
}
