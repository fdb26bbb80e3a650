target "a" {
  no-cache = true
  pull = false
}
