target "default" {
  context = "../outside"
  entitlements = ["network.host", "security.insecure"]
}
