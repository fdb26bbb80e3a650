function "f" {
  params = [x]
  result = g(x)
}
function "g" {
  params = [x]
  result = f(x)
}
target "default" { tags = [f("a")] }
