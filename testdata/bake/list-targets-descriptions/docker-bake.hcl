group "default" {
  description = "default group"
  targets = ["b", "a"]
}
group "empty" {
  targets = []
}
target "a" {
  description = "A target"
}
target "b" {}
target "_hidden" {}
