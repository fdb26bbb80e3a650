target "b" {
  inherits = ["a"]
  context = "../up"
  contexts = { k2 = "target:c", k1 = "./c1" }
}
target "d" {
  inherits = ["a"]
  contexts = { k2 = "docker-image://alpine", k1 = "rel/dir" }
}
