target "e" {
  matrix = ["a"]
}
