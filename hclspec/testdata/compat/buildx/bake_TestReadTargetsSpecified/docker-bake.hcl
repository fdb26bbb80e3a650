
target "image" {
  dockerfile = "test"
}