target "y" {
  tags = ["y"]
}
