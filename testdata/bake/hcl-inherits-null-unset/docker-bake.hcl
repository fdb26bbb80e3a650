target "base" {
  tags = ["base"]
  dockerfile = "base.Dockerfile"
  args = { KEEP = "1", DROP = "2" }
}
target "child" {
  inherits = ["base"]
  tags = null
  dockerfile = null
  args = { DROP = null }
}
