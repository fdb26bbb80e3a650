variable "A" {
  default = "a"
  validation {
    condition = false
  }
}
target "default" {}
