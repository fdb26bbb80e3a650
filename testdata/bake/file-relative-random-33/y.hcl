target "b" {
  context = "../up"
  dockerfile = "Df"
}
target "c" {
  inherits = ["d"]
  dockerfile = "Df"
}
