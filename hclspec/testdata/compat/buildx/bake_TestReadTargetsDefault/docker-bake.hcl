
target "default" {
  dockerfile = "test"
}