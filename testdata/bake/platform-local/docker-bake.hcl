target "a" {
  platforms = ["local", "linux/arm64,linux/amd64"]
}
