target "default" {
  dockerfile = "../outside/Dockerfile"
}
