target "default" {
  context = "../outside"
}
