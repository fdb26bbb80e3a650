group "g" {
  name = "x"
  targets = ["t"]
}
