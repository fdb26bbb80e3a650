variable "A" { default = "a" }
variable "B" { default = "${A}-b" }
target "default" {
  tags = [B]
}
