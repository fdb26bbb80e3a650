variable "TAG" { default = "b" }
G = "gb"
target "app" {
  args = { FROM = "b" }
  platforms = ["linux/arm64"]
}
group "default" { targets = ["only-a"] }
