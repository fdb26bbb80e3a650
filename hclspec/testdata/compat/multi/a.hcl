variable "TAG" { default = "a" }
G = "ga"
target "app" {
  tags = ["app:${TAG}"]
  args = { FROM = "a", G = G }
}
target "only-a" { context = "a" }
group "default" { targets = ["app"] }
