target "b" {
  inherits = ["d"]
  context = "."
}
target "c" {
  context = "https://github.com/a/b.git"
  contexts = { k2 = "target:b" }
}
target "d" {
  context = "/abs/p"
  contexts = { k1 = "./c1" }
}
