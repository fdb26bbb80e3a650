variable "T" { default = "override" }
target "default" {
  args = { B = "2" }
  cache-from = ["type=gha"]
}
