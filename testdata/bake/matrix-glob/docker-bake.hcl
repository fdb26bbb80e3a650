target "app" {
  name = "app-${v}"
  matrix = { v = ["x", "y"] }
}
target "other" {}
