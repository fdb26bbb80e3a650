target "default" {
  context = "../outside"
  output = ["type=local,dest=../outside"]
}
