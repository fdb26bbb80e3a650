target "default" {
  output = ["type=tar,dest=../outside/out.tar"]
}
