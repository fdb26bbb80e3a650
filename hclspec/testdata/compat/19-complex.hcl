target "a" {
  cache-from = ["type=registry,ref=x", {type = "local", src = "/tmp"}]
  output = ["type=docker"]
  secret = ["id=x,src=/tmp/hs-compat-secret"]
  pull = true
  no-cache = "true"
  shm-size = "128m"
  ulimits = ["nofile=1024:1024"]
}
target "b" {
  tags = [for c in target.a.cache-from : c.type]
  args = { O = target.a.output[0].type }
}
