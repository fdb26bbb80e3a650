function "f" {
  params = [x]
}
target "default" {}
