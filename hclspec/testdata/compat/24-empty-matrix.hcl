target "e" {
  matrix = { x = [] }
  name = "e-${x}"
}
target "f" { tags = ["f"] }
group "default" { targets = ["e", "f"] }
