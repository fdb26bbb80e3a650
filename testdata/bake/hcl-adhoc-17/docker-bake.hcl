target "a" {
  secret = ["id=a,env=A", "id=a,env=B"]
  ssh = []
}
