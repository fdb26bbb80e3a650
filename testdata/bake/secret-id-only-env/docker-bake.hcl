target "a" {
  secret = ["id=MYTOKEN"]
}
