variable "T" { default = "base" }
target "default" {
  tags = ["a:${T}"]
  args = { A = "1" }
}
