target "t" {
  output = ["type=tar", "type=oci"]
}
