variable "A" {
  default = "a"
  validation {
    condition = A == G
    error_message = "no"
  }
}
G = "a"
target "default" {}
