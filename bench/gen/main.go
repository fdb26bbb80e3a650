// Command gen writes a bake file for benchmarks: a common target, variables,
// a user function, and blocks that each inherit the common target and expand
// a 3x2 matrix, so that -targets N yields N targets (rounded up to 6).
//
//	go run ./bench/gen -targets 6000 > /tmp/docker-bake.hcl
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
)

func main() {
	targets := flag.Int("targets", 6000, "number of targets after matrix expansion")
	flag.Parse()
	blocks := (*targets + 5) / 6

	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprint(w, `variable "REGISTRY" {
  default = "registry.example.com"
}
variable "VERSION" {
  default = "1.2.3"
}
variable "PUSH" {
  type    = bool
  default = false
}

function "image" {
  params = [repo, name, tag]
  result = "${repo}/${name}:${tag}"
}

target "common" {
  context    = "."
  dockerfile = "Dockerfile"
  args = {
    VERSION = VERSION
    PUSH    = PUSH
  }
  labels = {
    "org.opencontainers.image.version" = VERSION
  }
}
`)
	for i := range blocks {
		fmt.Fprintf(w, `
target "svc%d" {
  inherits = ["common"]
  matrix = {
    distro = ["alpine", "debian", "ubuntu"]
    arch   = ["amd64", "arm64"]
  }
  name      = "svc%d-${distro}-${arch}"
  platforms = ["linux/${arch}"]
  tags      = [image(REGISTRY, "svc%d", "${VERSION}-${distro}")]
  args = {
    DISTRO = distro
    INDEX  = "%d"
  }
}
`, i, i, i, i)
	}
	fmt.Fprint(w, "\ngroup \"default\" {\n  targets = [")
	for i := range blocks {
		if i > 0 {
			fmt.Fprint(w, ", ")
		}
		fmt.Fprintf(w, "\"svc%d\"", i)
	}
	fmt.Fprint(w, "]\n}\n")
}
