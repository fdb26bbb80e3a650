target "a" {
  contexts = { b = "target:missing" }
}
