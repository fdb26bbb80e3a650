target "a" {
  context = "git@github.com:docker/buildx.git"
}
