target "child" {
  inherits = ["base"]
}
target "child2" {
  inherits = ["base"]
  context = "own"
}
