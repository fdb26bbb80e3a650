target "x" {
  name = "x"
  matrix = { v = ["a"] }
  args = { V = v }
}
