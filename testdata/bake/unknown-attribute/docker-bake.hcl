target "a" {
  bogus = 1
}
