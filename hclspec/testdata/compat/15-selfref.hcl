target "a" {
  context = "c"
  dockerfile = "${target.a.context}/Dockerfile"
}
