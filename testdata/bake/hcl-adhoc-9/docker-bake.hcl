target "default" {
  platforms = ["linux/amd64"]
  output = ["type=docker"]
}
target "x" {
  inherits = ["default"]
  platforms = []
  output = []
}
