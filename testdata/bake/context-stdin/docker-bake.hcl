target "a" {
  context = "-"
}
