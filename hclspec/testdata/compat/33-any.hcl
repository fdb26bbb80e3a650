variable "A" {
  type = any
  default = [1, "x"]
}
variable "LA" {
  type = list(any)
  default = [1, 2]
}
variable "BAD" {
  type = lisst(string)
}
target "default" { args = { A = jsonencode(A), LA = jsonencode(LA) } }
