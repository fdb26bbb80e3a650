target "c" {
  context = "c"
}
