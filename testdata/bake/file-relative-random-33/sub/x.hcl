target "b" {
  context = target.c.context
  dockerfile = "Df"
}
target "c" {
  contexts = { k2 = "docker-image://alpine", k1 = "./c1" }
}
target "d" {
  inherits = ["b"]
  context = "/abs/p"
  contexts = { k2 = "" }
}
