target "a" {
  ssh = ["default"]
}
