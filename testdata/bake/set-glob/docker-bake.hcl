target "app" {
  tags = ["app:1"]
  args = { A = "1" }
  labels = { L = "1" }
  platforms = ["linux/amd64"]
  cache-from = ["type=registry,ref=app/cache"]
  output = ["type=image,name=app"]
  secret = ["id=tok,env=TOK"]
  annotations = ["a=1"]
  attest = ["type=sbom"]
  entitlements = ["network.host"]
  ulimits = ["nofile=1:2"]
  no-cache-filter = ["x"]
}
target "app-dev" {
  inherits = ["app"]
  tags = ["app:dev"]
}
target "other" {}
