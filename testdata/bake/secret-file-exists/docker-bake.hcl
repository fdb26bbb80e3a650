target "a" {
  secret = ["id=s,src=secret.txt", "id=e,env=E"]
}
