target "a" {
  context = "ctx"
  contexts = { x = "other", y = "docker-image://busybox" }
}
target "b" {}
