target "x" {
  dockerfile = ""
  context = "foo/../bar/"
}
