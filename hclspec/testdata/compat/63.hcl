variable "A" {
  default = "a"
  description = 5
}
target "default" {}
