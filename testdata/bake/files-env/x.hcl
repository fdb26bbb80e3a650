target "x" {
  tags = ["x"]
}
