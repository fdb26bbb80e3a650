variable "A" {
  default = "a"
  validation {
    error_message = "x"
  }
}
target "default" {}
