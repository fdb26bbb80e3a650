target "app" {
  name = "app-${v}"
  matrix = { v = ["x", "y"] }
  args = { V = v }
}
