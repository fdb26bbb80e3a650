group "default" {
  targets = ["app", "tools"]
}
group "tools" {
  description = "the tools"
  targets = ["lint", "test", "lint"]
}
group "all" {
  targets = ["default", "tools", "extra"]
}
target "app" {}
target "lint" {
  target = "lint"
}
target "test" {
  target = "test"
}
target "extra" {
  description = "extra target"
}
target "_private" {}
