variable "L" {
  type = list(number)
  default = [1]
}
target "default" {
  args = { L = join(",", L) }
}
