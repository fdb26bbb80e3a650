variable "VERS" { default = ["1.0", "2.0"] }
target "app" {
  matrix = {
    item = [{ name = "a", v = "1" }, { name = "b", v = "2" }]
    ver = VERS
  }
  name = "app-${item.name}-${replace(ver, ".", "-")}"
  args = { V = item.v, VER = ver }
  tags = ["app:${item.name}-${ver}"]
}
target "tup" {
  matrix = { x = [["p", 1], ["q", 2]] }
  name = "tup-${x[0]}"
  args = { N = x[1] }
}
