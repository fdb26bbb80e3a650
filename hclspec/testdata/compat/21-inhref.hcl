target "base" {
  tags = ["base"]
  args = { A = "a" }
}
target "child" {
  inherits = ["base"]
  args = { B = "b" }
}
target "x" {
  tags = target.child.tags
  args = target.child.args
  labels = { inh = join(",", target.child.inherits) }
}
