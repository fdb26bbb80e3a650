target "a" {
  context = "https://github.com/org/repo.git#main:sub/"
  dockerfile = "cwd://Dockerfile"
  contexts = { x = "https://example.com/x.tar.gz", y = "cwd://./y/" }
}
