target "a" {
  tags = [UNDEF1]
}
target "b" {
  tags = "notalist"
  args = 3
}
