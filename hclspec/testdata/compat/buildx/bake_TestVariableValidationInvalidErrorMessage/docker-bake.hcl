
variable "FOO" {
  default = 0
  validation {
    condition = FOO > 5
  }
}
target "app" {
  args = {
    FOO = FOO
  }
}
