group "g" {
  targets = ["x"]
}
target "x" {}
target "y" {}
