target "a" {
  tags = [
}
