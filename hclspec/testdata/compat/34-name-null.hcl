target "b" {
  matrix = { x = [null] }
  name = x
}
