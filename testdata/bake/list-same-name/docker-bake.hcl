group "app" {
  targets = ["app", "b"]
}
target "app" {
  description = "the app"
}
target "b" {}
group "zz" {
  targets = ["b"]
}
target "zz" {}
