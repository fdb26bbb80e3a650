target "a" {
  inherits = ["b"]
  contexts = { k1 = "", k2 = "./c1" }
}
target "c" {
  inherits = ["a"]
  contexts = { k2 = "docker-image://alpine", k1 = "./c1" }
}
