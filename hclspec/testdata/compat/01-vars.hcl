variable "TAG" { default = "latest" }
variable "N" { default = 3 }
variable "B" { default = true }
variable "L" {
  type = list(string)
  default = ["a", "b"]
}
variable "M" {
  type = map(string)
  default = {k = "v"}
}
variable "O" {
  type = object({a = string, b = number})
  default = {a = "x", b = 1}
}
variable "UNTYPED" {}
variable "TYPED" { type = string }
variable "REF" { default = "${TAG}-${N}" }
GLOBAL = "g-${REF}"
variable "DESC" {
  description = "a description"
  default = "d"
}
target "default" {
  tags = concat(["img:${TAG}", GLOBAL, "n${N + 1}", "b${B}", "u${UNTYPED}", "t${TYPED == null ? "null" : TYPED}"], L)
  args = merge(M, { o = O.a, ob = O.b, desc = DESC })
}
