group "default" {
  targets = ["default", "t"]
}
target "t" {}
