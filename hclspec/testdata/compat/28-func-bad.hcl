function "f" {
  params = [x]
  result = x
  extra = 1
}
target "default" {}
