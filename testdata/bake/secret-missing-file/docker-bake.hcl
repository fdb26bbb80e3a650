target "a" {
  secret = ["id=s,src=missing.txt"]
}
