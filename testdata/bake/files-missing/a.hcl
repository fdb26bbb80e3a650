target "t" {}
