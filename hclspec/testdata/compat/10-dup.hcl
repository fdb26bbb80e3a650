target "app" {
  matrix = { x = ["a", "b"], y = ["1"] }
  name = "app-${y}"
}
