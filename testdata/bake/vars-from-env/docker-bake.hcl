variable "TAG" {
  default = "latest"
  description = "image tag"
}
variable "PUSH" {
  type = bool
  default = false
}
variable "COUNT" {
  type = number
  default = 1
}
variable "PLATFORMS" {
  type = list(string)
  default = ["linux/amd64"]
}
variable "NOTHING" {
  default = null
}
variable "UNTYPED" {}
target "default" {
  tags = ["repo:${TAG}"]
  args = {
    PUSH = PUSH ? "yes" : "no"
    COUNT_PLUS = COUNT + 1
    UNTYPED = UNTYPED
  }
  platforms = PLATFORMS
}
