target "c" {
  inherits = ["a"]
  contexts = { k1 = "rel/dir" }
}
target "d" {
  inherits = ["a"]
  contexts = { k1 = "./c1", k2 = "docker-image://alpine" }
}
