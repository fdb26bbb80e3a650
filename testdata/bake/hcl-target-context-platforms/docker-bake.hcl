target "base" {
  platforms = ["linux/amd64", "linux/arm64"]
}
target "app" {
  contexts = { base = "target:base" }
  platforms = ["linux/amd64", "linux/s390x"]
}
