target "default" {
  tags = [NOPE]
  args = { a = nofunc("x") }
}
