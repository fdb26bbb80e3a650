package hclspec

import (
	"fmt"
	"strings"
	"testing"
)

// benchFile is a smaller sibling of bench/gen's output: n blocks, each a 3x2
// matrix inheriting a common target, with variables and a user function.
func benchFile(n int) []byte {
	var b strings.Builder
	b.WriteString(`variable "REGISTRY" { default = "registry.example.com" }
variable "VERSION" { default = "1.2.3" }
function "image" {
  params = [repo, name, tag]
  result = "${repo}/${name}:${tag}"
}
target "common" {
  context = "."
  args = { VERSION = VERSION }
}
`)
	for i := range n {
		fmt.Fprintf(&b, `target "svc%d" {
  inherits = ["common"]
  matrix = {
    distro = ["alpine", "debian", "ubuntu"]
    arch   = ["amd64", "arm64"]
  }
  name      = "svc%d-${distro}-${arch}"
  platforms = ["linux/${arch}"]
  tags      = [image(REGISTRY, "svc%d", "${VERSION}-${distro}")]
  args = { DISTRO = distro, INDEX = "%d" }
}
`, i, i, i, i)
	}
	return []byte(b.String())
}

// 6,000 and 12,000 targets: the two sizes bench/run.sh compares with buildx.
func BenchmarkParse1000(b *testing.B) { benchmarkParse(b, 1000) }
func BenchmarkParse2000(b *testing.B) { benchmarkParse(b, 2000) }

func benchmarkParse(b *testing.B, n int) {
	data := benchFile(n)
	b.ReportAllocs()
	for b.Loop() {
		var c testConfig
		if _, diags := Parse([]File{{Name: "docker-bake.hcl", Data: data}}, Options{}, &c); diags.HasErrors() {
			b.Fatal(diags)
		}
		if len(c.Targets) != 6*n+1 {
			b.Fatalf("got %d targets", len(c.Targets))
		}
	}
}

// BenchmarkSyntax is the HCL parsing alone, for comparison with Parse.
func BenchmarkSyntax1000(b *testing.B) {
	data := benchFile(1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, diags := loadFiles([]File{{Name: "docker-bake.hcl", Data: data}}); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}
