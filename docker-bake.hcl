# kiln's demo: a small monorepo that builds with no registry access.
#
#   make demo            (installs what is missing, builds kiln, runs `kiln bake`)
#   kiln bake --print    (the plan, identical to `docker buildx bake --print`)
#   kiln bake api web    (some targets only)
#
# Sources are under testdata/demo; results land in ./dist. See docs/demo.md.

variable "VERSION" {
  description = "Version stamped into every image"
  default     = "0.1.0"
}

variable "DIST" {
  description = "Where outputs are written"
  default     = "./dist"
}

variable "PLATFORMS" {
  description = "Platforms every image is built for (comma-separated in the environment)"
  type        = list(string)
  default     = ["linux/amd64", "linux/arm64"]
}

variable "DEMO_TOKEN_FILE" {
  description = "File holding the secret the api build reads (never stored in an image)"
  default     = "testdata/demo/secrets/demo-token.txt"
}

# out returns the output spec for an image: an OCI tarball or a local directory under DIST.
function "out" {
  params = [kind, name]
  result = kind == "local" ? "type=local,dest=${DIST}/${name}" : "type=oci,dest=${DIST}/${name}.oci.tar"
}

# tag names an image of the demo.
function "tag" {
  params = [name]
  result = "kiln.local/demo/${name}:${VERSION}"
}

group "default" {
  description = "Everything: the base image and every service"
  targets     = ["base", "services"]
}

group "services" {
  targets = ["api", "worker", "web", "tools"]
}

# The base image every service starts from: busybox FROM scratch.
target "base" {
  description = "busybox base image, FROM scratch"
  context     = "testdata/demo/base"
  platforms   = PLATFORMS
  args        = { VERSION = VERSION }
  tags        = [tag("base")]
  output      = [out("oci", "base")]
}

# What every service shares: the base image as a named context, the platforms, labels.
target "_service" {
  contexts  = { base = "target:base" }
  platforms = PLATFORMS
  args      = { VERSION = VERSION }
  labels = {
    "org.opencontainers.image.version" = VERSION
    "org.opencontainers.image.source"  = "https://github.com/kiln-build/kiln"
  }
}

target "api" {
  description = "shell-script HTTP api (cache mount, secret mount)"
  inherits    = ["_service"]
  context     = "testdata/demo/api"
  secret      = ["id=demo_token,src=${DEMO_TOKEN_FILE}"]
  tags        = [tag("api")]
  output      = [out("oci", "api")]
}

target "worker" {
  description = "queue worker, one image per flavour"
  name        = "worker-${flavour}"
  matrix      = { flavour = ["fast", "thorough"] }
  inherits    = ["_service"]
  context     = "testdata/demo/worker"
  args        = { FLAVOUR = flavour, VERSION = VERSION }
  tags        = [tag("worker-${flavour}")]
  output      = [out("local", "worker-${flavour}")]
}

target "web" {
  description = "static site (parallel stages merged FROM scratch)"
  inherits    = ["_service"]
  context     = "testdata/demo/web"
  target      = "site"
  output      = [out("local", "web")]
}

target "tools" {
  description = "operator scripts (parallel lint and bundle stages)"
  inherits    = ["_service"]
  context     = "testdata/demo/tools"
  tags        = [tag("tools")]
  output      = ["type=oci,dest=${DIST}/tools.oci,tar=false"]
}
