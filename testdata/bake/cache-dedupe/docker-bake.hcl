target "base" {
  cache-from = ["type=gha", "type=registry,ref=x"]
  cache-to = ["type=gha,mode=max"]
}
target "a" {
  inherits = ["base"]
  cache-from = ["type=gha", "type=local,src=cache"]
  cache-to = ["type=inline"]
}
