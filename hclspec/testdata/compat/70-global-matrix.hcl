G = "g-${v}"
target "a" {
  matrix = { v = ["x", "y"] }
  name = "a-${v}"
  tags = [G]
}
