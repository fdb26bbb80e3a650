group "default" {
  targets = ["a", "missing"]
}
target "a" {}
