
group "foo" {
  targets = ["image"]
}
target "image" {
  dockerfile = "test"
}