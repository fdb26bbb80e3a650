target "default" {
  cache-to = ["type=local,dest=../outside/cache"]
}
