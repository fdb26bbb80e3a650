target "a" {
  cache-to = ["type=registry,ref=x,mode=max", "type=registry,ref=x,mode=max"]
  cache-from = ["x/y:z", "type=registry,ref=x/y:z"]
}
