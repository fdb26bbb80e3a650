target "a" {
  platforms = "linux/amd64"
}
