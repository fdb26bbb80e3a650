target "a" {
  tags = ["", "x", ""]
  platforms = [""]
}
