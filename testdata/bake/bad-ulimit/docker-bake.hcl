target "a" {
  ulimits = ["nofile"]
}
