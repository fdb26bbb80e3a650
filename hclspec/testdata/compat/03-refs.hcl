target "base" {
  context = "ctx"
  tags = ["base:1"]
  args = { A = "1" }
}
target "child" {
  inherits = ["base"]
  tags = concat(target.base.tags, ["child:1"])
  args = { B = target.base.args.A, C = target.base.context, D = "${target.other.dockerfile}" }
}
target "other" {
  dockerfile = "Dockerfile.other"
  platforms = ["linux/amd64"]
}
group "default" { targets = ["child", "other"] }
target "g" {
  tags = group.default.targets
}
