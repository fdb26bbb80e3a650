target "base" {
  tags = ["b:1"]
  args = { X = "1" }
}
target "a" {
  tags = [for t in target.base.tags : "${t}-a"]
  args = target.base.args
}
