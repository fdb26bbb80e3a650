target "base" {
  output = ["type=registry"]
}
target "a" {
  contexts = { b = "target:base" }
}
