target "a" {
  secret = ["id=GITHUB_TOKEN_X"]
}
