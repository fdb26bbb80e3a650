target "base" {
  entitlements = ["security.insecure"]
}
target "a" {
  inherits = ["base"]
  network = "host"
  entitlements = ["security.insecure", "network.host"]
}
