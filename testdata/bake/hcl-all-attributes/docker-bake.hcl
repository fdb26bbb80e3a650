target "all" {
  description = "every attribute"
  context = "./src/"
  dockerfile = "build/Dockerfile"
  args = { A = "1", B = "two", EMPTY = "" }
  labels = { "org.opencontainers.image.title" = "all", "l2" = "x" }
  tags = ["repo/all:1", "repo/all:latest", "repo/all:1"]
  annotations = ["index:org.opencontainers.image.vendor=kiln", "manifest:foo=bar"]
  attest = ["type=sbom", "type=provenance,mode=max"]
  contexts = { alpine = "docker-image://alpine:3.20", src = "./other", empty = "" }
  cache-from = ["type=registry,ref=repo/cache", "user/repo:cache", "type=gha"]
  cache-to = ["type=registry,ref=repo/cache,mode=max", "type=inline"]
  target = "final"
  secret = ["id=token,env=TOKEN", "id=npmrc,env=NPMRC"]
  platforms = ["linux/amd64", "linux/arm64", "linux/amd64"]
  output = ["type=image,name=repo/all:1,push=false", "type=docker"]
  pull = true
  no-cache = false
  network = "none"
  no-cache-filter = ["build", "test", "build"]
  shm-size = "2g"
  ulimits = ["nofile=1024:2048", "nproc=512"]
  call = "build"
  entitlements = ["security.insecure"]
  extra-hosts = { "db.local" = "10.0.0.2", "cache" = "10.0.0.3" }
  resources = { memory = "512m", cpu-shares = 512 }
}
