target "a" {
  policy = ["strict=false"]
}
