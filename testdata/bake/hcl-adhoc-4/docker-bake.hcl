target "m" {
  name = "m-${replace(item.v, ".", "-")}"
  matrix = { item = [{ v = "1.0", x = "a" }, { v = "2.0", x = "b" }] }
  args = { X = item.x }
}
