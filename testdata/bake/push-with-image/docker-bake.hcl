target "a" {
  output = ["type=image,name=x", "type=docker"]
}
target "b" {
  output = ["type=registry"]
}
target "c" {
  output = ["type=tar,dest=x.tar"]
}
