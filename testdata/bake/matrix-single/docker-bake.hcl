target "app" {
  name = "app-${v}"
  matrix = { v = ["1", "2", "3"] }
  args = { V = v }
  tags = ["app:${v}"]
}
