target "base" {
  contexts = { a = "x", b = "y" }
}
target "c" {
  inherits = ["base"]
  contexts = { a = "" }
}
