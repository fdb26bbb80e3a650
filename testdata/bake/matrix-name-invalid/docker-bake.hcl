target "a" {
  name = "a.${v}"
  matrix = { v = ["1"] }
}
