target "img" {
  output = ["type=image,name=repo/img"]
}
target "dock" {
  output = ["type=docker"]
}
target "none" {}
target "local" {
  output = ["type=local,dest=out"]
}
