target "a" {
  output = ["type=image,name=a,b,push=true", "type=local,dest=./out/"]
}
