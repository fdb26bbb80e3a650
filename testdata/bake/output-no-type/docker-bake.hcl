target "t" {
  output = ["dest=foo"]
}
