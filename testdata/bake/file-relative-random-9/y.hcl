target "a" {
  inherits = ["c"]
  dockerfile = "Df"
}
