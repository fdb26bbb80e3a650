target "t" {
  output = ["type=local"]
}
