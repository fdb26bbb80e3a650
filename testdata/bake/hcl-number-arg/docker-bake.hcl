target "a" {
  args = { N = 1, B = true, F = 1.5 }
  labels = { N = 2 }
}
