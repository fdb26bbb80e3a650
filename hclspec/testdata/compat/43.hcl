target "a" { tags = ["x", "y"] }
target "b" {
  matrix = { v = target.a.tags }
  name = "b-${v}"
}
