variable "A" { default = "a" }
variable "A" { default = "b" }
target "default" { args = { a = A } }
