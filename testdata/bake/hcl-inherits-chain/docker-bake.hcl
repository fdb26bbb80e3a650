target "base" {
  context = "base"
  args = { A = "base", B = "base" }
  tags = ["base"]
  platforms = ["linux/amd64"]
  cache-from = ["type=registry,ref=base/cache"]
  annotations = ["a=base"]
  labels = { L = "base" }
}
target "mid" {
  inherits = ["base"]
  args = { B = "mid", C = "mid" }
  cache-from = ["type=registry,ref=mid/cache"]
  annotations = ["a=mid"]
}
target "other" {
  dockerfile = "other.Dockerfile"
  args = { C = "other", D = "other" }
  tags = ["other"]
  no-cache-filter = ["x"]
}
target "leaf" {
  inherits = ["mid", "other"]
  args = { D = "leaf" }
  labels = { L = null, M = "leaf" }
  no-cache-filter = ["y"]
}
