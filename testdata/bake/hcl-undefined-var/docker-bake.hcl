target "a" {
  tags = [NOPE]
}
