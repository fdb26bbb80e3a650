target "a" {
  context = "./x/../y/"
}
target "b" {
  context = "cwd://sub/"
}
target "c" {
  context = "https://github.com/docker/buildx.git#main"
}
target "d" {
  context = "/abs/path/"
  dockerfile = "./df/../Dockerfile"
}
