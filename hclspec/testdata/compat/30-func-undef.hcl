function "f" {
  params = [x]
  result = "${x}${NOPE}"
}
target "default" {}
