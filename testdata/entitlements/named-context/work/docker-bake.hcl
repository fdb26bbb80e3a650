target "default" {
  contexts = { x = "../outside" }
}
