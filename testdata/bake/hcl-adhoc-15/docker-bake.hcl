target "a" {
  contexts = { x = "target:b" }
}
target "b" {
  name = "b"
  matrix = { v = ["1"] }
}
