target "a" {
  name = "x"
}
