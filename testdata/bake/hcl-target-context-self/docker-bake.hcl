target "a" {
  contexts = { a = "target:a" }
}
