target "a" {
  args = { Y = "2" }
  tags = ["a:hcl"]
}
target "b" {
  inherits = ["a"]
}
