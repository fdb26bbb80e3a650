target "t" {
  output = ["type=tar", "type=oci,dest=out.tar"]
}
