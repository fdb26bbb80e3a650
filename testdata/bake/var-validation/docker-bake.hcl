variable "V" {
  default = "x"
  validation {
    condition = V != "bad"
    error_message = "V must not be bad"
  }
}
target "default" {
  tags = [V]
}
