target "a" {
  context = target.d.context
  contexts = { k1 = "target:b", k2 = "docker-image://alpine" }
  dockerfile = "Df"
}
target "c" {
  contexts = { k2 = "rel/dir" }
  dockerfile = "Df"
}
