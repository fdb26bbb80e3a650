variable "A" {
  description = "about A"
  default = "a"
}
variable "N" {
  type = number
  default = 2
}
variable "L" { default = ["x", 1] }
variable "NUL" { type = string }
variable "S" {
  type = string
  default = "s"
}
