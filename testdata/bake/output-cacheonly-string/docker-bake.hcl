target "t" {
  output = ["type=cacheonly", "type=docker,dest=x.tar"]
}
