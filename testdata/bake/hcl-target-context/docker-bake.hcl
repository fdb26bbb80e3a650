target "base" {
  dockerfile = "base.Dockerfile"
  network = "host"
  platforms = ["linux/amd64", "linux/arm64"]
}
target "mid" {
  contexts = { base = "target:base" }
  entitlements = ["security.insecure"]
}
target "app" {
  contexts = { mid = "target:mid", alpine = "docker-image://alpine" }
  platforms = ["linux/amd64"]
  output = ["type=registry"]
}
