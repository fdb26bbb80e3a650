variable "A" { default = "${B}" }
variable "B" { default = "${C}" }
variable "C" { default = "${A}" }
target "default" {}
