target "default" {
  context = "link"
}
