
target "app" {
  output = ["./bin"]
}
