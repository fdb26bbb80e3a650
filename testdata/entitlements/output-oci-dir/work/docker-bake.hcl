target "default" {
  output = ["type=oci,tar=false,dest=../outside/oci"]
}
