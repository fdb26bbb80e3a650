target "a" {
  matrix = {}
  name = "x"
}
