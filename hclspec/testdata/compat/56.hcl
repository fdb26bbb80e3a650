target "a" {
  args = { X = null, Y = 1, Z = true }
  tags = [1, true, "s"]
  labels = { a = null }
}
