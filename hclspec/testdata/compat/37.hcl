function "f" {
  params = ["x"]
  result = 1
}
