function "f" {
  params = [a]
  result = a
}
target "t" { tags = [f()] }