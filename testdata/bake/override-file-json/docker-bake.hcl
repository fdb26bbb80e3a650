target "default" {
  tags = ["hcl"]
}
