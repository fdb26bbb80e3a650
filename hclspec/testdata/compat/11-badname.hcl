target "app" {
  matrix = { x = ["a/b"] }
  name = "app-${x}"
}
