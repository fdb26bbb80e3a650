foo "a" {}
target "a" {}
