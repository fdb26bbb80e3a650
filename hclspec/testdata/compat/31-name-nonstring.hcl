target "a" {
  matrix = { x = [1, 2] }
  name = "n${x}"
  args = { X = x }
}
target "b" {
  matrix = { x = [[1], [2]] }
  name = x
}
