group "g" {
  targets = ["y"]
}
