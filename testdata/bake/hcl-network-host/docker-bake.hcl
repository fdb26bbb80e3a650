target "h" {
  network = "host"
  entitlements = ["network.host", "security.insecure"]
}
