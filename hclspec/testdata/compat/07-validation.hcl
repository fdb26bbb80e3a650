variable "PORT" {
  default = 80
  validation {
    condition = PORT > 1000
    error_message = "PORT must be > 1000"
  }
  validation {
    condition = PORT < 10
    error_message = "PORT must be < 10"
  }
}
target "default" {}
