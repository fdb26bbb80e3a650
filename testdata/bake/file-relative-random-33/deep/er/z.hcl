target "a" {
  inherits = ["c"]
  context = target.d.context
  contexts = { k2 = "./c1", k1 = "rel/dir" }
}
