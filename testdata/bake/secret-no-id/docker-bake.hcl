target "a" {
  secret = ["src=secret.txt"]
}
