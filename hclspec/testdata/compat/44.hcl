target "a" { tags = ["x", "y"] }
target "b" {
  matrix = { v = ["1"] }
  name = "b-${target.a.tags[0]}"
}
