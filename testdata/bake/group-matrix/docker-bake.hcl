group "g" {
  matrix = { v = ["1"] }
  targets = ["a"]
}
target "a" {}
