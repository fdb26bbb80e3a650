target "a1" {}
