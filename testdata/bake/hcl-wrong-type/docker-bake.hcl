target "a" {
  tags = "notalist"
}
