target "a" {
  platforms = ["linux/notanarch/x/y"]
}
