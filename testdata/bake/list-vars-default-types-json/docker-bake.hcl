variable "S" { default = "s" }
variable "B" { default = true }
variable "N" { default = 1.5 }
variable "L" { default = ["a"] }
variable "M" { default = { k = "v" } }
variable "T" {
  type = map(string)
  default = {}
}
variable "E" {}
