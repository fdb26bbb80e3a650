target "a" {
  inherits = ["nope"]
}
