variable "M" { default = { a = "1", b = "2" } }
target "base" { platforms = ["linux/amd64", "linux/arm64"] }
target "a" {
  args = merge({ for k, v in M : upper(k) => "${v}!" }, { P = join(",", target.base.platforms[*]) })
  tags = [for p in target.base.platforms : "img:${replace(p, "/", "-")}" if p != "linux/arm64"]
  labels = {
    t1 = try(target.nope.tags[0], "fallback")
    t2 = try(NOPE, "fb2")
    c1 = can(target.base.tags[0]) ? "y" : "n"
  }
  dockerfile = length(target.base.platforms) > 1 ? "multi" : "single"
}
