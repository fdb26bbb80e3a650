target "a1" {}
target "a2" {}
target "b1" {}
