target "a" {
  tags = ["one"]
  args = { A = "1" }
}
target "a" {
  args = { B = "2" }
  cache-from = ["type=gha"]
}
