target "a" {
  policy = ["strict=false"]
}
target "b" {
  contexts = { a = "target:a" }
}
