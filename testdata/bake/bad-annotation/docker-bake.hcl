target "a" {
  annotations = ["noequals"]
}
