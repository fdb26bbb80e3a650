target "a" {
  resources = { memory = "lots" }
}
