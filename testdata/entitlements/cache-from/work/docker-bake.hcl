target "default" {
  cache-from = ["type=local,src=../outside/cache-src"]
}
