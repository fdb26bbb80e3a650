target "base" {
  tags = ["b"]
}
target "app" {
  contexts = { base = "target:base" }
}
