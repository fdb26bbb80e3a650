variable "A" {
  type = number
  default = 1
}
A = "glob"
target "default" { args = { A = A } }
