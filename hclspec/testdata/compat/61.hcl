variable "A" {
  default = "a"
  validation {
    condition = true
  }
}
