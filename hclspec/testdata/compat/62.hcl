variable "A" {
  default = "a"
  foo = 1
  bar {}
  validation {
    condition = true
    error_message = "x"
    extra = 1
  }
}
