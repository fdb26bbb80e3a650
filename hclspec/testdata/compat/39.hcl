variable "A" {
  default = "x"
  validation {
    condition = null
    error_message = "m"
  }
}
