target "a" {
  name = "b"
}
