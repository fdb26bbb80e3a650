target "a" {
  output = ["type=image,name=x,push=true", "type=registry", "type=docker"]
}
