target "a" {
  attest = ["mode=max"]
}
