target "bad.name" {}
