
variable "PORT" {
  default = 3000
  validation {}
}
target "app" {
  args = {
    PORT = PORT
  }
}
