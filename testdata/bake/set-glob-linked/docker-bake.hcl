target "base" {}
target "app" {
  contexts = { b = "target:base" }
}
