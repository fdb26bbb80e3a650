variable "A" { default = "a" }
variable "B" {
  description = "about ${A}"
}
