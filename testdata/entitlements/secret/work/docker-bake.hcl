target "default" {
  secret = ["id=s,src=../outside/secret"]
}
