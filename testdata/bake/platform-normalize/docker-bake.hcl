target "a" {
  platforms = ["linux/arm64/v8", "Linux/AMD64", "linux/arm/v7"]
}
