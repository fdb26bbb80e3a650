variable "V" { default = target.a.tags }
target "a" { tags = ["x"] }
