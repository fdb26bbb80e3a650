target "e" {
  matrix = { x = "notalist" }
  name = "e-${x}"
}
