target "default" {
  output = ["type=local,dest=../outside/out"]
}
